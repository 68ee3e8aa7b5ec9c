/*
 * fake_https - scripted policy fetches for the component tests (see
 * fake_https.h).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "fake_https.h"
#include "https.h"
#include "xalloc.h"

#define FAKE_HTTPS_HOST 300

struct fake_https_script {
    char host[FAKE_HTTPS_HOST];
    bool scripted;
    enum https_status st;
    long code;
    char *body;
    struct fake_timing when;
    unsigned calls;
    char last_addrs[512];
    LIST_ENTRY(fake_https_script) link;
};

static LIST_HEAD(,
                 fake_https_script) fake_https_scripts = LIST_HEAD_INITIALIZER(fake_https_scripts);
static unsigned fake_https_ncancel;

struct https {
    struct event_base *base;
    size_t active;
    LIST_HEAD(, https_req) reqs;
};

static struct https *fake_https_live; /* the client https_new() made last */

struct https_req {
    struct https *h;
    char host[FAKE_HTTPS_HOST];
    https_cb cb;
    void *arg;
    bool delivering;
    struct fake_later *later;
    LIST_ENTRY(https_req) link;
};

static struct fake_https_script *fake_https_find(const char *host, bool make)
{
    struct fake_https_script *s;
    LIST_FOREACH(s, &fake_https_scripts, link)
        if (strcmp(s->host, host) == 0)
            return s;
    if (!make)
        return NULL;
    s = xcalloc(1, sizeof(*s));
    snprintf(s->host, sizeof(s->host), "%s", host);
    LIST_INSERT_HEAD(&fake_https_scripts, s, link);
    return s;
}

void fake_https_set(const char *host, enum https_status st, long code, const char *body,
                    struct fake_timing when)
{
    struct fake_https_script *s = fake_https_find(host, true);
    free(s->body);
    s->body = xstrdup(body != NULL ? body : "");
    s->st = st;
    s->code = code;
    s->when = when;
    s->scripted = true;
}

void fake_https_policy(const char *host, const char *body)
{
    fake_https_set(host, HTTPS_OK, 200, body, FAKE_AT_ONCE);
}

static void fake_https_req_free(struct https_req *r)
{
    fake_later_free(r->later);
    free(r);
}

static void fake_https_deliver(void *arg)
{
    struct https_req *r = arg;
    struct https *h = r->h;
    const struct fake_https_script *s = fake_https_find(r->host, false);
    if (s != NULL && !s->scripted)
        s = NULL;
    enum https_status st = s != NULL ? s->st : HTTPS_ERR_CONNECT;
    char detail[64];
    if (s == NULL)
        snprintf(detail, sizeof(detail), "no script");
    else if (st == HTTPS_ERR_STATUS || st == HTTPS_ERR_REDIRECT)
        snprintf(detail, sizeof(detail), "HTTP %ld", s->code);
    else
        snprintf(detail, sizeof(detail), "%s", https_status_name(st));

    LIST_REMOVE(r, link);
    h->active--;
    r->delivering = true;
    r->cb(r->arg, st, s != NULL ? s->code : 0, st == HTTPS_OK ? s->body : NULL,
          st == HTTPS_OK ? strlen(s->body) : 0, st == HTTPS_OK ? NULL : detail);
    fake_https_req_free(r);
}

void fake_https_release(const char *host)
{
    if (fake_https_live == NULL)
        return;
    struct https_req *r;
    LIST_FOREACH(r, &fake_https_live->reqs, link)
        if (strcmp(r->host, host) == 0)
            fake_later_now(r->later);
}

unsigned fake_https_calls(const char *host)
{
    const struct fake_https_script *s = fake_https_find(host, false);
    return s != NULL ? s->calls : 0;
}

unsigned fake_https_cancels(void)
{
    return fake_https_ncancel;
}

const char *fake_https_last_addrs(const char *host)
{
    const struct fake_https_script *s = fake_https_find(host, false);
    return s != NULL ? s->last_addrs : "";
}

void fake_https_reset(void)
{
    struct fake_https_script *s;
    while ((s = LIST_FIRST(&fake_https_scripts)) != NULL) {
        LIST_REMOVE(s, link);
        free(s->body);
        free(s);
    }
    fake_https_ncancel = 0;
}

/* ---- https.h -------------------------------------------------------------- */

bool https_global_init(char *err, size_t errsz)
{
    (void)err;
    (void)errsz;
    return true;
}

void https_global_cleanup(void)
{
}

struct https *https_new(struct event_base *base, const struct https_config *cfg, char *err,
                        size_t errsz)
{
    (void)cfg;
    (void)err;
    (void)errsz;
    struct https *h = xcalloc(1, sizeof(*h));
    h->base = base;
    LIST_INIT(&h->reqs);
    fake_https_live = h;
    return h;
}

void https_free(struct https *h)
{
    if (h == NULL)
        return;
    struct https_req *r;
    while ((r = LIST_FIRST(&h->reqs)) != NULL) {
        LIST_REMOVE(r, link);
        fake_https_req_free(r);
    }
    if (fake_https_live == h)
        fake_https_live = NULL;
    free(h);
}

void https_reconfigure(struct https *h, const struct https_config *cfg)
{
    (void)h;
    (void)cfg;
}

struct https_req *https_get(struct https *h, const char *host, const char *const *addrs,
                            size_t naddrs, https_cb cb, void *arg)
{
    struct https_req *r = xcalloc(1, sizeof(*r));
    r->h = h;
    snprintf(r->host, sizeof(r->host), "%s", host);
    r->cb = cb;
    r->arg = arg;
    LIST_INSERT_HEAD(&h->reqs, r, link);
    h->active++;
    struct fake_https_script *s = fake_https_find(host, true);
    s->calls++;
    s->last_addrs[0] = '\0';
    for (size_t i = 0; i < naddrs; i++) {
        size_t used = strlen(s->last_addrs);
        snprintf(s->last_addrs + used, sizeof(s->last_addrs) - used, "%s%s", i ? "," : "",
                 addrs[i]);
    }
    r->later = fake_later_new(h->base, s->scripted ? s->when : FAKE_AT_ONCE, fake_https_deliver, r);
    return r;
}

void https_cancel(struct https_req *r)
{
    if (r == NULL || r->delivering)
        return;
    LIST_REMOVE(r, link);
    r->h->active--;
    fake_https_ncancel++;
    fake_https_req_free(r);
}

void https_set_port(struct https *h, int port)
{
    (void)h;
    (void)port;
}

size_t https_active(const struct https *h)
{
    return h->active;
}

const char *https_status_name(enum https_status st)
{
    switch (st) {
    case HTTPS_OK:
        return "OK";
    case HTTPS_ERR_CONNECT:
        return "ERR_CONNECT";
    case HTTPS_ERR_TLS:
        return "ERR_TLS";
    case HTTPS_ERR_CERT:
        return "ERR_CERT";
    case HTTPS_ERR_REDIRECT:
        return "ERR_REDIRECT";
    case HTTPS_ERR_STATUS:
        return "ERR_STATUS";
    case HTTPS_ERR_MEDIA_TYPE:
        return "ERR_MEDIA_TYPE";
    case HTTPS_ERR_TOO_LARGE:
        return "ERR_TOO_LARGE";
    case HTTPS_ERR_TIMEOUT:
        return "ERR_TIMEOUT";
    case HTTPS_ERR_OTHER:
        return "ERR_OTHER";
    }
    return "UNKNOWN";
}
