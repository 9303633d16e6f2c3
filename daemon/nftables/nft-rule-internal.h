/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the rule encoder and decoder of nf_tables share: where iptables-nft
 * loads the header fields from. */

/* Offsets in the network header (struct iphdr / struct ip6_hdr). */
#define BS_NFT_IP_FRAG_OFF 6
#define BS_NFT_IP_PROTOCOL 9
#define BS_NFT_IP_SADDR 12
#define BS_NFT_IP_DADDR 16
#define BS_NFT_IP6_SADDR 8
#define BS_NFT_IP6_DADDR 24

/* What iptables-nft compares the interface name with for "! -i +" (no
 * interface at all): a name no interface can have. */
#define BS_NFT_IFACE_INVALID "INVAL/D"
