/*
 * dueq - domains ordered by a due time: the refresh timer queue.
 *
 * A bounded set of policy domains, each with one due time (seconds), kept
 * in a binary min-heap by due time and in a hash table by domain, so that
 * every operation is O(log n) and a domain is never queued twice:
 *
 *   dueq_set()      queue a domain at a due time, or move it if queued
 *                   (false, nothing changed, when the queue holds max
 *                   domains and this one is not among them);
 *   dueq_del()      take a domain out (no-op if absent);
 *   dueq_peek()     the earliest due time (false when empty);
 *   dueq_pop_due()  take out the earliest domain if it is due at `now`;
 *   dueq_size().
 *
 * Ties are popped in no particular order.  Domains are 1-DOMAIN_MAX
 * bytes (longer ones are refused by dueq_set()).
 *
 * Ownership: the queue copies the domains it holds; dueq_free() frees
 * them.  Memory: one small allocation per queued domain plus the heap
 * and bucket arrays, which grow with the number queued (never past max).
 * Pure: no I/O, no clock (now is passed in), no logging.
 */
#ifndef MTASTSD_DUEQ_H
#define MTASTSD_DUEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

struct dueq;

struct dueq *dueq_new(size_t max);
void dueq_free(struct dueq *q);

bool dueq_set(struct dueq *q, const char *domain, int64_t due);
void dueq_del(struct dueq *q, const char *domain);
bool dueq_peek(const struct dueq *q, int64_t *due);
bool dueq_pop_due(struct dueq *q, int64_t now, char domain[DOMAIN_BUFSZ], int64_t *due);
size_t dueq_size(const struct dueq *q);

#endif
