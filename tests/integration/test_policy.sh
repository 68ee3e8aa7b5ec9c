#!/bin/bash
# test_policy.sh - policy content as served over HTTPS (DESIGN sections 3
# and 4): match= patterns (lowercase, A-labels, duplicates removed, order
# kept, "*." -> "."), multiple and wildcard mx, line endings, repeated
# keys, unknown keys, max_age bounds, and mx values that try to inject
# Postfix attributes (the whole policy is rejected -> NOTFOUND).
. "$(dirname "$0")/lib.sh"

P=$'version: STSv1\nmode: enforce\n'
T=$'max_age: 86400\n'
valid() { # NAME POLICY WANT
    world_domain "$1" --txt 'v=STSv1; id=1' --policy "$2"
    V_NAMES+=("$1")
    V_WANT+=("$3")
}
invalid() { # NAME POLICY
    world_domain "$1" --txt 'v=STSv1; id=1' --policy "$2"
    I_NAMES+=("$1")
}
V_NAMES=() V_WANT=() I_NAMES=()

valid multi.test "${P}mx: mx1.multi.test"$'\n'"mx: mx2.multi.test"$'\n'"mx: *.multi.test"$'\n'"$T" \
    'mx1.multi.test:mx2.multi.test:.multi.test'
valid dedupe.test "${P}mx: MX.Dedupe.Test"$'\n'"mx: b.dedupe.test"$'\n'"mx: mx.dedupe.test"$'\n'"mx: B.DEDUPE.TEST"$'\n'"$T" \
    'mx.dedupe.test:b.dedupe.test'
valid wild.test "${P}mx: *.mail.wild.test"$'\n'"$T" '.mail.wild.test'
valid crlf.test $'version: STSv1\r\nmode: enforce\r\nmx: mx.crlf.test\r\nmax_age: 86400\r\n' 'mx.crlf.test'
valid nofinal.test $'version: STSv1\nmode: enforce\nmx: mx.nofinal.test\nmax_age: 86400' 'mx.nofinal.test'
valid blanks.test $'version:   STSv1  \nmode:\tenforce\t\nmx:  mx.blanks.test \nmax_age: 86400   \n' 'mx.blanks.test'
valid repeat.test "${P}mode: none"$'\n'"mx: mx.repeat.test"$'\n'"max_age: 86400"$'\n'"max_age: 600"$'\n' 'mx.repeat.test'
valid unknown.test "${P}mx: mx.unknown.test"$'\n'"x-ext: some value"$'\n'"$T" 'mx.unknown.test'
valid order.test $'max_age: 86400\nmx: mx.order.test\nmode: enforce\nversion: STSv1\n' 'mx.order.test'
valid maxage.test "${P}mx: mx.maxage.test"$'\nmax_age: 31557600\n' 'mx.maxage.test'
valid idnmx.test "${P}mx: mx.bücher.test"$'\n'"$T" 'mx.xn--bcher-kva.test'

invalid noversion.test $'mode: enforce\nmx: mx.noversion.test\nmax_age: 86400\n'
invalid badversion.test $'version: STSv2\nmode: enforce\nmx: mx.badversion.test\nmax_age: 86400\n'
invalid nomode.test $'version: STSv1\nmx: mx.nomode.test\nmax_age: 86400\n'
invalid badmode.test $'version: STSv1\nmode: strict\nmx: mx.badmode.test\nmax_age: 86400\n'
invalid nomaxage.test "${P}mx: mx.nomaxage.test"$'\n'
invalid bigmaxage.test "${P}mx: mx.bigmaxage.test"$'\nmax_age: 31557601\n'
invalid longmaxage.test "${P}mx: mx.longmaxage.test"$'\nmax_age: 12345678901\n'
invalid negmaxage.test "${P}mx: mx.negmaxage.test"$'\nmax_age: -1\n'
invalid nomx.test "${P}${T}"
invalid empty.test ''
invalid html.test $'<html><body>version: STSv1</body></html>\n'
invalid badline.test "${P}mx: mx.badline.test"$'\nthis line has no colon\n'"$T"
invalid blankmid.test "${P}"$'\n'"mx: mx.blankmid.test"$'\n'"$T"
invalid nul.test "${P}mx: mx.nul.test"$'\n'"$T"
printf 'version: STSv1\nmode: enforce\nmx: mx.nul.test\x00\nmax_age: 86400\n' >"$WWW/nul.test/mta-sts.txt"

note "injection attempts in mx values: the whole policy is rejected"
i=0
for mx in 'mx.inj.test servername=evil.test' 'mx.inj.test match=evil.test' 'a=b.inj.test' \
    'mx.inj.test:25' '{ policy_string = x }' 'mx.inj.test}' 'mx.{inj}.test' '192.0.2.1' \
    '[192.0.2.1]' '*' '*.test' '*.*.inj.test' 'mx..inj.test' '-mx.inj.test' \
    'mx_1.inj.test' $'mx.inj.test\tprotocols=TLSv1' 'mx.inj.test,evil.test' 'mx.inj.test;x' \
    "$(printf 'a%.0s' $(seq 1 64)).inj.test"; do
    i=$((i + 1))
    invalid "inj$i.test" "${P}mx: mx.ok.test"$'\n'"mx: $mx"$'\n'"$T"
    note "inj$i.test: mx '$mx'"
done

world_start
mtastsd_start "${MTASTSD_FAST[@]}"

for k in "${!V_NAMES[@]}"; do
    expect_reply "${V_NAMES[$k]}" "secure match=${V_WANT[$k]} servername=hostname"
done
for d in "${I_NAMES[@]}"; do
    expect_notfound "$d"
done
expect_log 'inj1\.test.*policy-invalid'
expect_true "daemon alive after hostile policies" mtastsd_alive

mtastsd_stop
finish
