/*
 * xalloc - allocation wrappers that never return NULL.
 *
 * xmalloc(), xcalloc(), xrealloc(), xstrdup() and xstrndup() behave like
 * their libc namesakes but log and abort() when memory is exhausted: a
 * daemon that cannot allocate a few bytes cannot keep its promises anyway,
 * and checking every small allocation hides real bugs behind error paths
 * that are never tested.  Large, size-driven allocations (from network
 * input) are bounded by their callers before they reach these functions.
 */
#ifndef MTASTSD_XALLOC_H
#define MTASTSD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
