/*
 * daemon - detach, pidfile, privilege drop and sd_notify (see daemon.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

bool daemon_detach(char *err, size_t errsz)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        return false;
    }
    if (pid > 0)
        _exit(0);
    if (setsid() < 0) {
        snprintf(err, errsz, "setsid: %s", strerror(errno));
        return false;
    }
    pid = fork(); /* never reacquire a controlling terminal */
    if (pid < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        return false;
    }
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0) {
        snprintf(err, errsz, "chdir /: %s", strerror(errno));
        return false;
    }
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return true;
}

bool daemon_pidfile_write(const char *path, char *err, size_t errsz)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            long pid = strtol(buf, NULL, 10);
            if (pid > 1 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0) {
                snprintf(err, errsz,
                         "%s names a running process (pid %ld); is mtastsd already "
                         "running?",
                         path, pid);
                return false;
            }
        }
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        snprintf(err, errsz, "pidfile path too long");
        return false;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
        return false;
    }
    int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)len) != len || close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

void daemon_pidfile_remove(const char *path)
{
    if (path != NULL && path[0] != '\0')
        unlink(path);
}

bool daemon_lookup_ids(const char *user, const char *group, long *uid, long *gid, char *err,
                       size_t errsz)
{
    *uid = -1;
    *gid = -1;
    if (user != NULL && user[0] != '\0') {
        struct passwd *pw = getpwnam(user);
        if (pw == NULL) {
            snprintf(err, errsz, "unknown user '%s'", user);
            return false;
        }
        *uid = (long)pw->pw_uid;
        *gid = (long)pw->pw_gid;
    }
    if (group != NULL && group[0] != '\0') {
        struct group *gr = getgrnam(group);
        if (gr == NULL) {
            snprintf(err, errsz, "unknown group '%s'", group);
            return false;
        }
        *gid = (long)gr->gr_gid;
    }
    return true;
}

bool daemon_drop_privileges(const char *user, const char *group, char *err, size_t errsz)
{
    long uid, gid;
    if (!daemon_lookup_ids(user, group, &uid, &gid, err, errsz))
        return false;
    if (uid < 0 && gid < 0)
        return true;
    if (gid >= 0) {
        if (uid >= 0 && initgroups(user, (gid_t)gid) != 0) {
            snprintf(err, errsz, "initgroups(%s): %s", user, strerror(errno));
            return false;
        }
        if (uid < 0 && setgroups(0, NULL) != 0 && errno != EPERM) {
            snprintf(err, errsz, "setgroups: %s", strerror(errno));
            return false;
        }
        if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) {
            snprintf(err, errsz, "setgid(%ld): %s", gid, strerror(errno));
            return false;
        }
    }
    if (uid >= 0) {
        if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) {
            snprintf(err, errsz, "setuid(%ld): %s", uid, strerror(errno));
            return false;
        }
        if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
            snprintf(err, errsz, "could regain root after dropping privileges; refusing to run");
            return false;
        }
    }
    return true;
}

bool daemon_notify(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0')
        return false;
    struct sockaddr_un sun;
    size_t len = strlen(path);
    if (len >= sizeof(sun.sun_path) || (path[0] != '/' && path[0] != '@')) {
        log_debug("NOTIFY_SOCKET '%s' is not usable", path);
        return false;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, len);
    if (path[0] == '@')
        sun.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    socklen_t slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    ssize_t n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, slen);
    int e = errno;
    close(fd);
    if (n < 0) {
        log_debug("sd_notify: %s", strerror(e));
        return false;
    }
    return true;
}
