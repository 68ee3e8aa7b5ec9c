/*
 * queue_safe - <sys/queue.h> plus the *_FOREACH_SAFE forms that glibc's
 * copy lacks (STYLE practice 17: one list idiom, no hand-written
 * unlinking in each module).  The BSDs and OpenSMTPD define these in
 * <sys/queue.h> itself; where the system header has them already, its
 * definitions are kept.
 *
 * LIST_FOREACH_SAFE(var, head, field, tvar) and
 * TAILQ_FOREACH_SAFE(var, head, field, tvar) iterate like LIST_FOREACH and
 * TAILQ_FOREACH, but read the next element into tvar before the body
 * runs, so the body may remove (and free) var.
 */
#ifndef MTASTSD_QUEUE_SAFE_H
#define MTASTSD_QUEUE_SAFE_H

#include <sys/queue.h>

#ifndef LIST_FOREACH_SAFE
#define LIST_FOREACH_SAFE(var, head, field, tvar)                                                  \
    for ((var) = LIST_FIRST((head)); (var) != NULL && ((tvar) = LIST_NEXT((var), field), 1);       \
         (var) = (tvar))
#endif

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                                 \
    for ((var) = TAILQ_FIRST((head)); (var) != NULL && ((tvar) = TAILQ_NEXT((var), field), 1);     \
         (var) = (tvar))
#endif

#endif
