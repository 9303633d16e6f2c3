/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstop-xtables: libxtables in a process of its own, for one family.
 *
 * libxtables keeps global state and calls exit() on input it does not like,
 * and its extensions print to stdout: none of that may happen inside
 * backstopd. The daemon starts this program with the protocol socket as fd
 * 3, already without privileges (uid nobody, no capabilities, no new
 * privileges; xt-client.c). It asks the daemon for the kernel's revision
 * support (BS_XT_REVISION) instead of asking the kernel itself.
 *
 * Every exit path of libxtables (exit_err, a plain exit()) sends the
 * pending request an ERROR reply with what the extension said before the
 * process ends; the daemon starts a new helper for the next request. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xtables.h>

#include "xt-helper.h"

#define HELPER_FD 3

static int helper_family;      /* 4 or 6 */
static uint32_t request_id;
static bool request_pending;   /* a request was read and has no reply yet */
static char *stderr_buf;       /* stderr while serving a request */
static size_t stderr_len;
static FILE *stderr_saved;
static uint8_t msg_buf[BS_XT_MSG_MAX];
static jmp_buf *verifying;     /* xth_verify's way back from exit_err */

void xth_verify_begin(void *jmp) {
        verifying = jmp;
}

void xth_verify_end(void) {
        verifying = NULL;
}

int xth_family(void) {
        return helper_family;
}

int xth_send(const void *buf, size_t len) {
        ssize_t n;
        do
                n = send(HELPER_FD, buf, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 || (size_t) n != len)
                return -EIO;
        return 0;
}

void xth_reply_sent(void) {
        request_pending = false;
}

/* The ERROR reply; the process ends right after it. */
static void send_error(const char *msg) {
        if (!request_pending)
                return;
        static uint8_t buf[BS_XT_MESSAGE_MAX + 64];
        bs_xt_writer w;
        size_t len;
        char cut[BS_XT_MESSAGE_MAX + 1];
        snprintf(cut, sizeof(cut), "%s", msg && *msg ? msg : "the extension failed");
        /* iptables' messages end in a newline; ours do not */
        size_t n = strlen(cut);
        while (n > 0 && (cut[n - 1] == '\n' || cut[n - 1] == ' '))
                cut[--n] = '\0';
        bs_xt_wbegin(&w, buf, BS_XT_ERROR, request_id, (uint32_t) helper_family);
        bs_xt_wstr(&w, cut);
        if (bs_xt_wend(&w, &len) >= 0)
                (void) xth_send(buf, len);
        request_pending = false;
}

/* The first line of what was written to stderr during the request. */
static const char *captured_stderr(void) {
        if (!stderr_saved)
                return NULL;
        fflush(stderr);
        if (!stderr_buf || stderr_len == 0)
                return NULL;
        char *nl = strchr(stderr_buf, '\n');
        if (nl && nl[1])
                *nl = '\0';
        return stderr_buf;
}

static void at_exit(void) {
        send_error(captured_stderr());
}

static void exit_err(enum xtables_exittype status, const char *fmt, ...) __attribute__((noreturn)) _printf_(2, 3);
static void exit_err(enum xtables_exittype status, const char *fmt, ...) {
        if (verifying) {
                jmp_buf *back = verifying;
                verifying = NULL;
                longjmp(*back, 1);
        }
        char msg[BS_XT_MESSAGE_MAX + 1];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        send_error(msg);
        _exit(status == 0 ? 1 : (int) status);
}

/* A question to the daemon while serving a request (msg: len bytes,
 * written by the caller into buf); the answer of type want read into buf
 * (size bytes) and r. */
void xth_ask_daemon(uint8_t *buf, size_t size, size_t len, bs_xt_type want, bs_xt_reader *r) {
        if (xth_send(buf, len) < 0)
                _exit(1);
        ssize_t n;
        do
                n = recv(HELPER_FD, buf, size, 0);
        while (n < 0 && errno == EINTR);
        bs_xt_hdr h;
        if (n <= 0 || bs_xt_rbegin(r, buf, (size_t) n, &h) < 0 || h.type != want || h.id != request_id)
                _exit(1); /* the daemon went away or is confused: nothing to answer */
}

void xth_begin_question(bs_xt_writer *w, uint8_t *buf, bs_xt_type type) {
        bs_xt_wbegin(w, buf, type, request_id, (uint32_t) helper_family);
}

/* The kernel's answer, through the daemon. */
static int compat_rev(const char *name, uint8_t revision, int opt) {
        uint8_t buf[256];
        bs_xt_writer w;
        size_t len;
        bool target = opt == (helper_family == 6 ? IP6T_SO_GET_REVISION_TARGET : IPT_SO_GET_REVISION_TARGET);
        xth_begin_question(&w, buf, BS_XT_REVISION);
        bs_xt_wu8(&w, target);
        bs_xt_wu8(&w, revision);
        bs_xt_wstr(&w, name);
        if (bs_xt_wend(&w, &len) < 0)
                exit_err(OTHER_PROBLEM, "cannot ask for the revisions of %s", name);
        bs_xt_reader r;
        xth_ask_daemon(buf, sizeof(buf), len, BS_XT_REVISION_ANSWER, &r);
        uint8_t supported = bs_xt_ru8(&r);
        if (bs_xt_rend(&r) < 0)
                _exit(1);
        return supported != 0;
}

static struct option no_options[] = { { NULL, 0, NULL, 0 } };

static struct xtables_globals globals = {
        .option_offset = 0,
        .program_name = "iptables",
        .program_version = "1.8.9",
        .orig_opts = no_options,
        .exit_err = exit_err,
        .compat_rev = compat_rev,
};

/* Where the extensions' stderr goes while a request is served. */
static void capture_begin(void) {
        fflush(stderr);
        free(stderr_buf);
        stderr_buf = NULL;
        stderr_len = 0;
        FILE *f = open_memstream(&stderr_buf, &stderr_len);
        if (f) {
                stderr_saved = stderr;
                stderr = f;
        }
}

static void capture_end(void) {
        if (!stderr_saved)
                return;
        fclose(stderr);
        stderr = stderr_saved;
        stderr_saved = NULL;
}

static void serve(const uint8_t *buf, size_t len) {
        bs_xt_reader r;
        bs_xt_hdr h;
        if (bs_xt_rbegin(&r, buf, len, &h) < 0 || (int) h.family != helper_family)
                _exit(3); /* not our protocol: nothing sensible to answer */
        request_id = h.id;
        request_pending = true;
        capture_begin();
        switch (h.type) {
        case BS_XT_RENDER:
                xth_render(&r, &h, msg_buf);
                break;
        case BS_XT_DESCRIBE:
                xth_describe(&r, &h, msg_buf);
                break;
        case BS_XT_PARSE:
                xth_parse(&r, &h, msg_buf);
                break;
        default:
                exit_err(OTHER_PROBLEM, "unexpected message type %u", h.type);
        }
        capture_end();
        if (request_pending)
                exit_err(OTHER_PROBLEM, "no reply");
}

int main(int argc, char **argv) {
        if (argc != 2 || (strcmp(argv[1], "4") != 0 && strcmp(argv[1], "6") != 0)) {
                fprintf(stderr, "backstop-xtables: started by backstopd only (argument: 4 or 6)\n");
                return 2;
        }
        int type;
        socklen_t sl = sizeof(type);
        if (getsockopt(HELPER_FD, SOL_SOCKET, SO_TYPE, &type, &sl) < 0 || type != SOCK_SEQPACKET) {
                fprintf(stderr, "backstop-xtables: fd 3 is not the daemon's socket\n");
                return 2;
        }
        helper_family = argv[1][0] - '0';
        atexit(at_exit);
        if (xtables_init_all(&globals, helper_family == 6 ? NFPROTO_IPV6 : NFPROTO_IPV4) < 0)
                return 1;
        for (;;) {
                ssize_t n = recv(HELPER_FD, msg_buf, sizeof(msg_buf), MSG_TRUNC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(0); /* the daemon closed its end */
                if ((size_t) n > sizeof(msg_buf))
                        _exit(3);
                static uint8_t req[BS_XT_MSG_MAX];
                memcpy(req, msg_buf, (size_t) n);
                serve(req, (size_t) n);
        }
}
