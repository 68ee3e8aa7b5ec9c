#!/bin/bash
# test_https.sh - every HTTPS failure class of the policy fetch (DESIGN
# section 4, Fetch): certificate name, expiry, trust; status; redirects
# (never followed); media type; size cap enforced while reading; slow and
# stalled servers; resets; plain HTTP; old TLS; no address; nothing
# listening.  Each must give NOTFOUND (no cached policy) and one log line
# naming the domain and the failure class; the daemon must stay up.
. "$(dirname "$0")/lib.sh"

T='v=STSv1; id=1'
world_domain good.test --txt "$T"
world_domain params.test --txt "$T" --ctype 'text/plain; charset=utf-8'
world_domain wrongname.test --txt "$T" --cert wrongname
world_domain expired.test --txt "$T" --cert expired
world_domain notyet.test --txt "$T" --cert notyet
world_domain untrusted.test --txt "$T" --cert untrusted
world_domain s404.test --txt "$T" --status 404
world_domain s500.test --txt "$T" --status 500
world_domain s204.test --txt "$T" --status 204
world_domain redir.test --txt "$T" --redirect https://mta-sts.good.test/.well-known/mta-sts.txt
world_domain html.test --txt "$T" --ctype text/html
world_domain octet.test --txt "$T" --ctype application/octet-stream
world_domain noaddr.test --txt "$T" --no-addr
world_domain refused.test --txt "$T" --no-server
for mode in redirect stall stall-handshake drip endless-headers oversize oversize-cl \
    chunked-oversize truncated reset reset-handshake plain-http tls11 http10 ok; do
    world_domain "h-$mode.test" --txt "$T" --hostile "$mode" \
        --redirect https://mta-sts.good.test/.well-known/mta-sts.txt
done
world_start
mtastsd_start "${MTASTSD_FAST[@]}"

fails() { # DOMAIN CLASS-REGEX
    log_mark
    expect_notfound "$1"
    expect_log "$(lib_re_quote "$1").*($2)" 6
}

note "working servers"
expect_reply good.test 'secure match=mx.good.test servername=hostname'
expect_reply params.test 'secure match=mx.params.test servername=hostname'
expect_reply h-ok.test 'secure match=mx.h-ok.test servername=hostname'
expect_reply h-http10.test 'secure match=mx.h-http10.test servername=hostname'

note "certificates"
fails wrongname.test 'certificate|tls'
fails expired.test 'certificate|tls'
fails notyet.test 'certificate|tls'
fails untrusted.test 'certificate|tls'

note "status, redirects, media type"
fails s404.test http-status
fails s500.test http-status
fails s204.test http-status
g0=$(world_fetch_count good.test)
fails redir.test redirect
fails h-redirect.test redirect
expect_eq "redirect target never fetched" "$(world_fetch_count good.test)" "$g0"
fails html.test media-type
fails octet.test media-type

note "size cap while reading"
fails h-oversize.test too-large
fails h-oversize-cl.test too-large
fails h-chunked-oversize.test too-large

note "slow, stalled, broken servers"
t0=$SECONDS
fails h-stall.test 'timeout'
fails h-stall-handshake.test 'timeout|tls'
fails h-drip.test 'timeout'
fails h-endless-headers.test 'timeout|too-large|http'
expect_true "slow servers did not hold the queries past query_timeout" test $((SECONDS - t0)) -le 30
# a body cut short (curl: partial file) is neither a connection nor a TLS
# failure: its own class, with curl's words after it
fails h-truncated.test 'https-other: .*(transfer closed|Transferred a partial file)'
fails h-reset.test 'connect|tls'
fails h-reset-handshake.test 'connect|tls'
fails h-plain-http.test 'tls|connect'
fails h-tls11.test 'tls'
fails noaddr.test 'no-address'
fails refused.test 'connect'

note "the daemon is still healthy"
expect_true "daemon alive" mtastsd_alive
expect_reply good.test 'secure match=mx.good.test servername=hostname'

mtastsd_stop
finish
