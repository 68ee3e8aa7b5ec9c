# sed script: contrib/mtastsd.conf.example -> /etc/mtastsd.conf of the
# Debian package (debian/rules checks that exactly one key is set).
/^#listen = unix:\/run\/mtastsd\/mtastsd.sock$/{
i\
# Debian: mtastsd also listens on loopback TCP, which Postfix's smtp(8)\
# reaches from its chroot (/var/spool/postfix) as\
#   smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10443:mtasts\
# See /usr/share/doc/mtastsd/README.Debian.
s/^#//
s/$/ inet:127.0.0.1:10443/
}
