/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's reading of the helper's replies (after the header), apart
 * from the socket so that a fuzzer can feed them: the helper is the less
 * trusted side. Each reads the whole reply or nothing: on error no output
 * is set and nothing is left allocated. -EBADMSG for anything malformed,
 * -ENOMEM. */

#include "text.h"
#include "xt-proto.h"

/* RENDERED for items[0..k): items[i].text (and .exact) set for each the
 * helper printed
 * (a text that does not start with " -m " for a match or " -j " for a
 * target, or holds a control character, is not taken); *handled: how many
 * it handled (the rest did not fit its reply). */
int bs_xt_read_rendered(bs_xt_reader *r, bs_ext_render_item *items, size_t k, size_t *handled);
/* DESCRIBED: the options (malloc'ed array). */
int bs_xt_read_described(bs_xt_reader *r, bs_ext_option **ret, size_t *ret_n);
/* PARSED: the extension's name, revision and payload (malloc'ed data). */
int bs_xt_read_parsed(bs_xt_reader *r, bs_opaque *ret);
