/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

static int path_join(char *buf, size_t size, const char *dir, const char *name) {
        int n = dir ? snprintf(buf, size, "%s/%s", dir, name) : snprintf(buf, size, "%s", name);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

int bs_write_file_temp(const char *dir, const char *name, const void *data, size_t len, mode_t mode, char *tmp,
                       size_t tmp_size) {
        int r;
        if (snprintf(tmp, tmp_size, "%s/.#%s.XXXXXX", dir, name) >= (int) tmp_size)
                return -ENAMETOOLONG;

        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        const char *p = data;
        size_t left = len;
        while (left > 0) {
                ssize_t k = write(fd, p, left);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += k;
                left -= (size_t) k;
        }
        if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;

fail:
        (void) unlink(tmp);
        return r;
}

int bs_rename_into(const char *dir, const char *name, const char *tmp) {
        char path[4096];
        int r = path_join(path, sizeof(path), dir, name);
        if (r < 0)
                return r;
        if (rename(tmp, path) < 0)
                return -errno;
        /* make the rename itself durable */
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return -errno;
        return 0;
}

int bs_write_file_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode) {
        char tmp[4096];
        int r = bs_write_file_temp(dir, name, data, len, mode, tmp, sizeof(tmp));
        if (r < 0)
                return r;
        r = bs_rename_into(dir, name, tmp);
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int bs_read_file(const char *dir, const char *name, size_t max, char **ret, size_t *ret_len) {
        char path[4096];
        int r = path_join(path, sizeof(path), dir, name);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap >= max)
                                return -EFBIG;
                        size_t ncap = cap * 2 > max ? max : cap * 2;
                        char *n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int bs_mkdir_parents(const char *path, mode_t mode) {
        char buf[4096];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
