/*
 * rec_assert.h: a record read back equals the one written, field by field
 * (cmocka). Shared by the persist format tests; include after <cmocka.h>.
 */
#ifndef MNEMO_TESTS_REC_ASSERT_H
#define MNEMO_TESTS_REC_ASSERT_H

#include "persist/record.h"

static inline void assert_rec_equal(const struct rec *r, const struct rec *w)
{
    assert_int_equal(r->type, w->type);
    assert_int_equal(r->bits, w->bits);
    assert_int_equal(r->nkey, w->nkey);
    assert_int_equal(r->stamp, w->stamp);
    assert_int_equal(r->flags, w->flags);
    assert_int_equal(r->vlen, w->vlen);
    assert_true(r->exptime == w->exptime);
    assert_true(r->cas == w->cas);
    assert_memory_equal(r->key, w->key, w->nkey);
    if (w->vlen) {
        assert_memory_equal(r->value, w->value, w->vlen);
    }
}

#endif
