/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The boot-time restore (backstopd --restore): the saved files of both
 * families are parsed before either is loaded; a file that exists but does
 * not parse, or that the kernel refuses, makes the restore fail closed for
 * both families (the default-deny recipe on an empty filter table: the
 * stateful rule, loopback, the management ports, ICMPv6 neighbour
 * discovery, INPUT DROP). The outcome is left for the daemon in
 * RUNTIME_DIR/boot-restore: "restored" or "fail-closed: <reason>". */

#include "backend.h"
#include "mgmt.h"

#define BS_BOOT_RESTORE_FILE "boot-restore"
#define BS_BOOT_RESTORE_MAX 1024

/* Into backend: 0 when the saved rules were loaded (or there were none);
 * < 0 when the restore failed closed, or when even that failed (logged
 * loudly). */
int bs_boot_restore(const bs_backend *backend, const char *state_dir, const char *runtime_dir,
                    const bs_mgmt_ports *ports);

/* What RUNTIME_DIR/boot-restore says, without its newline; "" when there is
 * none. */
int bs_boot_restore_read(const char *runtime_dir, char **ret);
