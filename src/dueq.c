/*
 * dueq - domains ordered by a due time (see dueq.h).
 *
 * Public functions: dueq_new(), dueq_free(), dueq_set(), dueq_del(),
 * dueq_peek(), dueq_pop_due(), dueq_size().
 *
 * Layout: each queued domain is one struct dueq_node (the domain stored
 * inline), pointed to from heap[] (heap order by due time; node->pos is
 * its index there, so a node can be moved or removed from the middle) and
 * chained in buckets[] by an FNV-1a hash of the domain.  The heap array
 * doubles as needed; the bucket array doubles when the load passes one
 * node per bucket, so chains stay short.  Both stop growing at max.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "dueq.h"
#include "queue_safe.h"
#include "xalloc.h"

#define DUEQ_MIN_SLOTS 16 /* first size of the heap and bucket arrays */

struct dueq_node {
    int64_t due;
    uint32_t hash;
    size_t pos;                  /* index in heap[] */
    LIST_ENTRY(dueq_node) hlink; /* bucket chain */
    char domain[];
};

LIST_HEAD(dueq_chain, dueq_node);

struct dueq {
    size_t max;
    size_t n;
    size_t cap; /* heap[] slots */
    struct dueq_node **heap;
    size_t nbuckets; /* power of two */
    struct dueq_chain *buckets;
};

static uint32_t dueq_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

struct dueq *dueq_new(size_t max)
{
    struct dueq *q = xcalloc(1, sizeof(*q));
    q->max = max;
    q->cap = DUEQ_MIN_SLOTS;
    q->heap = xcalloc(q->cap, sizeof(*q->heap));
    q->nbuckets = DUEQ_MIN_SLOTS;
    q->buckets = xcalloc(q->nbuckets, sizeof(*q->buckets));
    return q;
}

void dueq_free(struct dueq *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->n; i++)
        free(q->heap[i]);
    free(q->heap);
    free(q->buckets);
    free(q);
}

size_t dueq_size(const struct dueq *q)
{
    return q->n;
}

/* ---- hash table --------------------------------------------------------- */

static struct dueq_node *dueq_find(const struct dueq *q, const char *domain, uint32_t h)
{
    struct dueq_node *x;
    LIST_FOREACH(x, &q->buckets[h & (q->nbuckets - 1)], hlink)
        if (x->hash == h && strcmp(x->domain, domain) == 0)
            return x;
    return NULL;
}

static void dueq_chain(struct dueq *q, struct dueq_node *x)
{
    LIST_INSERT_HEAD(&q->buckets[x->hash & (q->nbuckets - 1)], x, hlink);
}

static void dueq_rehash(struct dueq *q, size_t nbuckets)
{
    free(q->buckets);
    q->nbuckets = nbuckets;
    q->buckets = xcalloc(nbuckets, sizeof(*q->buckets));
    for (size_t i = 0; i < q->n; i++)
        dueq_chain(q, q->heap[i]);
}

/* ---- heap ---------------------------------------------------------------- */

static void dueq_place(struct dueq *q, struct dueq_node *x, size_t pos)
{
    q->heap[pos] = x;
    x->pos = pos;
}

static void dueq_up(struct dueq *q, size_t pos)
{
    struct dueq_node *x = q->heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (q->heap[parent]->due <= x->due)
            break;
        dueq_place(q, q->heap[parent], pos);
        pos = parent;
    }
    dueq_place(q, x, pos);
}

static void dueq_down(struct dueq *q, size_t pos)
{
    struct dueq_node *x = q->heap[pos];
    for (;;) {
        size_t child = 2 * pos + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && q->heap[child + 1]->due < q->heap[child]->due)
            child++;
        if (x->due <= q->heap[child]->due)
            break;
        dueq_place(q, q->heap[child], pos);
        pos = child;
    }
    dueq_place(q, x, pos);
}

/* Take x out of the heap and the table, and free it. */
static void dueq_remove(struct dueq *q, struct dueq_node *x)
{
    size_t pos = x->pos;
    LIST_REMOVE(x, hlink);
    q->n--;
    if (pos != q->n) {
        struct dueq_node *y = q->heap[q->n]; /* the last one fills the hole */
        dueq_place(q, y, pos);
        dueq_up(q, pos);
        dueq_down(q, y->pos);
    }
    q->heap[q->n] = NULL;
    free(x);
}

/* ---- public -------------------------------------------------------------- */

bool dueq_set(struct dueq *q, const char *domain, int64_t due)
{
    size_t len = strlen(domain);
    uint32_t h = dueq_hash(domain);
    struct dueq_node *x = dueq_find(q, domain, h);

    if (x != NULL) {
        x->due = due;
        dueq_up(q, x->pos);
        dueq_down(q, x->pos);
        return true;
    }
    if (len == 0 || len > DOMAIN_MAX || q->n >= q->max)
        return false;
    if (q->n == q->cap) {
        q->cap *= 2;
        q->heap = xrealloc(q->heap, q->cap * sizeof(*q->heap));
    }
    if (q->n >= q->nbuckets)
        dueq_rehash(q, q->nbuckets * 2);
    x = xmalloc(sizeof(*x) + len + 1);
    memcpy(x->domain, domain, len + 1);
    x->due = due;
    x->hash = h;
    dueq_chain(q, x);
    dueq_place(q, x, q->n++);
    dueq_up(q, x->pos);
    return true;
}

void dueq_del(struct dueq *q, const char *domain)
{
    struct dueq_node *x = dueq_find(q, domain, dueq_hash(domain));
    if (x != NULL)
        dueq_remove(q, x);
}

bool dueq_peek(const struct dueq *q, int64_t *due)
{
    if (q->n == 0)
        return false;
    *due = q->heap[0]->due;
    return true;
}

bool dueq_pop_due(struct dueq *q, int64_t now, char domain[DOMAIN_BUFSZ], int64_t *due)
{
    if (q->n == 0 || q->heap[0]->due > now)
        return false;
    struct dueq_node *x = q->heap[0];
    memcpy(domain, x->domain, strlen(x->domain) + 1);
    if (due != NULL)
        *due = x->due;
    dueq_remove(q, x);
    return true;
}
