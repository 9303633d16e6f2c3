/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The protocol between backstopd and its libxtables helper
 * (backstop-xtables), one SOCK_SEQPACKET message per request or reply.
 *
 * Every message starts with bs_xt_hdr; the body is a sequence of fields
 * written by the bs_xt_w* functions and read back by the bs_xt_r* ones:
 * integers in host order (both ends are the same machine, one build), byte
 * strings as a u32 length then the bytes. Every length is checked against
 * the message and against the field's own limit; a reader that runs off
 * the end or past a limit fails with -EBADMSG and reads nothing more.
 *
 * Requests (daemon -> helper), the helper serving one family:
 *   RENDER   u32 n, n x { u8 target, u8 revision, u16 proto, u8 proto_invert,
 *            str name, bytes payload }
 *            -> RENDERED u32 n, n x { u8 status, str text }   (text: " -m NAME ...")
 *            status: 0 not printed, 1 printed (the text reads back to these
 *            bytes), 2 no room in this reply, 3 printed (the text reads back
 *            to the same but for bytes at the extension's initial values)
 *   DESCRIBE u8 target, str name
 *            -> DESCRIBED u32 n, n x { str option, u8 has_arg }
 *   PARSE    u8 target, u16 proto, u8 proto_invert, str name, u32 n, n x str word
 *            -> PARSED str name, u8 revision, bytes payload
 * Any request may get ERROR str message instead (the helper then exits:
 * libxtables may have been left half way).
 * While serving a request the helper may ask (helper -> daemon):
 *   REVISION u8 target, u8 revision, str name -> REVISION_ANSWER u8 supported
 *   IPSET bytes request (an SO_IP_SET getsockopt of libxt_set: version,
 *   set by name, by index) -> IPSET_ANSWER u32 errno (0: done), bytes reply
 * so that it needs no capability itself: the daemon asks its kernel. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BS_XT_MAGIC 0x54585342u /* "BSXT" */
#define BS_XT_VERSION 1

/* Limits. A message is at most BS_XT_MSG_MAX bytes; the daemon sizes the
 * socket buffers for it. */
#define BS_XT_MSG_MAX (160 * 1024)
#define BS_XT_NAME_MAX 28        /* extension names (XT_EXTENSION_MAXNAMELEN - 1) */
#define BS_XT_PAYLOAD_MAX 65536  /* BS_OPAQUE_MAX */
#define BS_XT_TEXT_MAX 16384     /* one rendered extension */
#define BS_XT_WORD_MAX 4096      /* one option word */
#define BS_XT_WORDS_MAX 256      /* words of one extension */
#define BS_XT_ITEMS_MAX 4096     /* extensions rendered in one request */
#define BS_XT_OPTS_MAX 256       /* options of one extension */
#define BS_XT_MESSAGE_MAX 1024   /* an error message */
#define BS_XT_IPSET_MAX 256      /* an SO_IP_SET request or reply */

typedef enum bs_xt_type {
        BS_XT_RENDER = 1,
        BS_XT_RENDERED,
        BS_XT_DESCRIBE,
        BS_XT_DESCRIBED,
        BS_XT_PARSE,
        BS_XT_PARSED,
        BS_XT_ERROR,
        BS_XT_REVISION,
        BS_XT_REVISION_ANSWER,
        BS_XT_IPSET,
        BS_XT_IPSET_ANSWER,
} bs_xt_type;

typedef struct bs_xt_hdr {
        uint32_t magic;
        uint16_t version;
        uint16_t type;   /* bs_xt_type */
        uint32_t id;     /* a reply carries its request's id */
        uint32_t family; /* 4 or 6 */
} bs_xt_hdr;

/* A message being written: a fixed buffer of BS_XT_MSG_MAX bytes. Writes
 * past the end set overflow (checked once, by bs_xt_wend). */
typedef struct bs_xt_writer {
        uint8_t *buf;
        size_t len;
        bool overflow;
} bs_xt_writer;

void bs_xt_wbegin(bs_xt_writer *w, uint8_t *buf, bs_xt_type type, uint32_t id, uint32_t family);
void bs_xt_wu8(bs_xt_writer *w, uint8_t v);
void bs_xt_wu16(bs_xt_writer *w, uint16_t v);
void bs_xt_wu32(bs_xt_writer *w, uint32_t v);
void bs_xt_wbytes(bs_xt_writer *w, const void *p, size_t n);
void bs_xt_wstr(bs_xt_writer *w, const char *s);
/* The message's length, or -EMSGSIZE when it did not fit. */
int bs_xt_wend(const bs_xt_writer *w, size_t *ret_len);
/* The length a u32 count field was written at, to patch it later. */
void bs_xt_wpatch_u32(bs_xt_writer *w, size_t at, uint32_t v);

/* A message being read. */
typedef struct bs_xt_reader {
        const uint8_t *buf;
        size_t len, pos;
        bool bad;
} bs_xt_reader;

/* Checks the header (magic, version, a known type); -EBADMSG else. */
int bs_xt_rbegin(bs_xt_reader *r, const void *buf, size_t len, bs_xt_hdr *ret_hdr);
uint8_t bs_xt_ru8(bs_xt_reader *r);
uint16_t bs_xt_ru16(bs_xt_reader *r);
uint32_t bs_xt_ru32(bs_xt_reader *r);
/* Bytes of at most max; *ret points into the message (NULL when empty). */
size_t bs_xt_rbytes(bs_xt_reader *r, size_t max, const uint8_t **ret);
/* A string of at most max bytes without NUL, copied into out (max + 1
 * bytes); a string with a NUL inside is bad. */
void bs_xt_rstr(bs_xt_reader *r, size_t max, char *out);
/* 0 when everything read was in bounds and nothing is left over, else
 * -EBADMSG. */
int bs_xt_rend(const bs_xt_reader *r);
