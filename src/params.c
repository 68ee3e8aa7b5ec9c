/*
 * params - configuration -> module parameters (see params.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "params.h"
#include "sts_policy.h"

void params_verdict(const struct config *c, struct verdict_params *vp)
{
    verdict_params_default(vp);
    vp->negative_ttl = c->negative_ttl;
    vp->recheck_interval = c->recheck_interval;
    vp->refresh_interval = c->refresh_interval;
}

void params_https(const struct config *c, struct https_config *hc)
{
    memset(hc, 0, sizeof(*hc));
    hc->ca_file = c->ca_file;
    hc->proxy = c->https_proxy;
    hc->connect_timeout_ms = (long)c->https_connect_timeout * 1000;
    hc->timeout_ms = (long)c->https_timeout * 1000;
    hc->max_body = STS_POLICY_MAX;
}

void params_fetch(const struct config *c, struct fetch_params *fp)
{
    memset(fp, 0, sizeof(*fp));
    params_verdict(c, &fp->verdict);
    fp->max_fetches = c->max_fetches;
    fp->max_queued = c->max_queued_fetches;
    fp->dns_timeout = c->dns_timeout;
    fp->https_timeout = c->https_timeout;
}

void params_lookup(const struct config *c, struct lookup_params *lp)
{
    memset(lp, 0, sizeof(*lp));
    lp->query_timeout = c->query_timeout;
    lp->strict_testing = c->strict_testing;
    lp->dns_error = c->dns_error;
    params_verdict(c, &lp->verdict);
}

void params_smap(const struct config *c, struct smap_params *sp)
{
    memset(sp, 0, sizeof(*sp));
    sp->max_connections = c->max_connections;
    sp->idle_timeout = c->idle_timeout;
    sp->request_timeout = c->request_timeout;
}

void params_httpd(const struct config *c, struct httpd_params *hp)
{
    memset(hp, 0, sizeof(*hp));
    hp->request_timeout = c->request_timeout;
}

void params_dane(const struct config *c, struct danejob_params *dp)
{
    memset(dp, 0, sizeof(*dp));
    dp->enabled = c->dane == CONFIG_DANE_ON;
    dp->probe_name = c->dane_probe_name;
    dp->dns_timeout = c->dns_timeout;
    dp->max_jobs = c->max_fetches;
}
