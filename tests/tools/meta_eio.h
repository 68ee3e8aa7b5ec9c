/*
 * meta_eio - fail LMDB's meta page writes with EIO, as a dying disk would
 * (see meta_eio.c: it interposes pwrite() in the test executable that
 * links it).
 */
#ifndef MTASTSD_META_EIO_H
#define MTASTSD_META_EIO_H

#include <stdbool.h>

/* true: every pwrite() into the first two pages of a file named
 * cache.mdb fails with EIO; false: the disk is well again. */
void meta_eio_arm(bool on);
/* Writes failed so far. */
unsigned meta_eio_failed(void);

#endif
