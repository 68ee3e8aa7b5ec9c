/*
 * params - what each module takes from the configuration: struct config
 * (config.h) -> the parameter struct of each module that copies settings
 * (https, fetch, lookup, smap, httpd, refresh's verdict_params, danejob).
 *
 * One mapping, used at start and on every reload (main.c) and by the
 * component tests (which start from config_new()'s defaults and
 * config_set() what a test changes), so a test runs the core with the
 * daemon's very parameters.  A module that copies a setting gets it from
 * here and a *_reconfigure() that main.c's reload calls.
 *
 * Pure: no I/O; fills the caller's structs (strings point into cfg).
 */
#ifndef MTASTSD_PARAMS_H
#define MTASTSD_PARAMS_H

#include "config.h"
#include "danejob.h"
#include "fetch.h"
#include "httpd.h"
#include "https.h"
#include "lookup.h"
#include "smap.h"
#include "verdict.h"

void params_verdict(const struct config *c, struct verdict_params *vp);
void params_https(const struct config *c, struct https_config *hc);
void params_fetch(const struct config *c, struct fetch_params *fp);
void params_lookup(const struct config *c, struct lookup_params *lp);
void params_smap(const struct config *c, struct smap_params *sp);
void params_httpd(const struct config *c, struct httpd_params *hp);
void params_dane(const struct config *c, struct danejob_params *dp);

#endif
