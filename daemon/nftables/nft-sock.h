/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Talking to nf_tables over netlink (libmnl): one socket, dumps, the
 * ruleset generation, and batches of changes that the kernel commits as one
 * transaction or not at all. No logging; errors as -errno:
 *   -EPROTONOSUPPORT  the kernel has no nf_tables
 *   -ERESTART         a batch carried a generation the ruleset no longer has
 *                     (someone changed it since it was read): read again
 *   -EINTR            a dump was interrupted by a change: dump again
 *   anything else     the kernel's answer to the message it refused */

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

typedef struct bs_nft_sock {
        struct mnl_socket *nl;
        uint32_t portid;
        uint32_t seq;
        /* where it was opened: a socket belongs to the network namespace
         * it was opened in, whatever the process's is now */
        pid_t pid;
        dev_t netns_dev;
        ino_t netns_ino;
} bs_nft_sock;

int bs_nft_sock_open(bs_nft_sock *s);
void bs_nft_sock_close(bs_nft_sock *s);
#define _cleanup_nft_sock_ _cleanup_(bs_nft_sock_close)

/* A socket kept open between calls: the one the last call gave back when
 * it is this process's and in the network namespace the process is in
 * now (with any answer left unread thrown away), else a new one. Closing
 * an nf_tables socket is not free: the kernel then finishes destroying
 * what the last commit removed (its NETLINK_URELEASE handler flushes the
 * deferred destruction, RCU grace period included; some 13 ms after
 * 10,000 rules were flushed), and the close would wait for it.
 * bs_nft_sock_give_back keeps it for the next call (or closes it when one
 * is kept already). One thread. */
int bs_nft_sock_take(bs_nft_sock *s);
void bs_nft_sock_give_back(bs_nft_sock *s);
#define _cleanup_nft_sock_kept_ _cleanup_(bs_nft_sock_give_back)

/* The nf_tables message type of an NFT_MSG_* command, as in nlmsg_type. */
static inline uint16_t bs_nft_msg_type(uint16_t cmd) {
        return (NFNL_SUBSYS_NFTABLES << 8) | cmd;
}

/* A request header in buf (at least MNL_SOCKET_BUFFER_SIZE bytes):
 * nlmsghdr + nfgenmsg for family, the socket's next sequence number. */
struct nlmsghdr *bs_nft_request_header(bs_nft_sock *s, void *buf, uint16_t cmd, uint8_t family, uint16_t flags);

/* Send a request and call cb (may be NULL) for every message answering
 * it, until the dump's end or the kernel's ack. cb returns MNL_CB_OK to go
 * on, MNL_CB_STOP or MNL_CB_ERROR (with errno set) to stop; its error is
 * returned as -errno. A dump the kernel marks as interrupted is -EINTR.
 * Either way the whole answer is read before it returns, so that the
 * socket serves the next request. */
int bs_nft_talk(bs_nft_sock *s, struct nlmsghdr *req, mnl_cb_t cb, void *userdata);

/* The ruleset's generation (NFT_MSG_GETGEN): it changes with every commit
 * of anyone's changes to any nf_tables table of the namespace. */
int bs_nft_genid(bs_nft_sock *s, uint32_t *ret);

/* A batch: messages between NFNL_MSG_BATCH_BEGIN and _END in one buffer,
 * sent with one sendmsg, committed by the kernel as one transaction. */
typedef struct bs_nft_batch {
        uint8_t *buf;
        size_t len, cap;
        uint32_t first_seq;  /* of the batch-begin message */
        size_t n_msgs;       /* between begin and end */
} bs_nft_batch;
void bs_nft_batch_done(bs_nft_batch *b);
#define _cleanup_nft_batch_ _cleanup_(bs_nft_batch_done)

/* Starts a batch. genid != 0: the kernel refuses the whole batch with
 * -ERESTART unless the ruleset still has that generation. The kernel
 * echoes the generation it commits (NFT_MSG_NEWGEN) to the commit's echo
 * function. */
int bs_nft_batch_begin(bs_nft_batch *b, bs_nft_sock *s, uint32_t genid);

/* Room for one more message of at most BS_NFT_MSG_MAX bytes: its header,
 * with the socket's next sequence number; the caller fills its payload
 * (libnftnl's *_nlmsg_build_payload) and then calls
 * bs_nft_batch_msg_add(). */
#define BS_NFT_MSG_MAX (72u * 1024u)
int bs_nft_batch_msg(bs_nft_batch *b, bs_nft_sock *s, uint16_t cmd, uint8_t family, uint16_t flags,
                     struct nlmsghdr **ret);
/* Takes the message bs_nft_batch_msg gave into the batch. -E2BIG when its
 * attributes do not add up to its length (a nest past the 64 KiB an
 * attribute can hold), and the message is then dropped. */
int bs_nft_batch_msg_add(bs_nft_batch *b, struct nlmsghdr *nlh);

/* Called for each message the kernel echoes (a message sent with
 * NLM_F_ECHO): its reply, whose nlmsg_seq is the request's. */
typedef int (*bs_nft_echo_fn)(const struct nlmsghdr *nlh, void *userdata);

/* Ends the batch, sends it and reads every answer. On refusal, the first
 * error the kernel gave; *ret_failed_seq (may be NULL) the sequence number
 * of the message it refused (0 when none is known). */
int bs_nft_batch_commit(bs_nft_batch *b, bs_nft_sock *s, bs_nft_echo_fn echo, void *userdata,
                        uint32_t *ret_failed_seq);
