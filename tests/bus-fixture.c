/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-fixture.h"
#include "test-backend.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void bring_lo_up(void) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        struct ifreq ifr = {};
        g_strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
                ifr.ifr_flags |= IFF_UP;
                (void) ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        close(fd);
}

gboolean bs_test_enter_private_netns(void) {
        if (geteuid() != 0)
                return FALSE;
        if (unshare(CLONE_NEWNET) < 0)
                return FALSE;
        bring_lo_up();
        g_autofree char *lock = g_build_filename(g_get_tmp_dir(), "backstop-test-xtables.XXXXXX", NULL);
        int fd = g_mkstemp(lock);
        if (fd < 0)
                return FALSE;
        close(fd);
        g_setenv("XTABLES_LOCKFILE", lock, TRUE);

        return TRUE;
}

char *bs_test_build_path(const char *relative) {
        const char *root = g_getenv("BACKSTOP_BUILD_ROOT");
        g_assert_nonnull(root);
        return g_build_filename(root, relative, NULL);
}

char *bs_test_run(const char *const *argv) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;
        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                          &error))
                g_error("cannot run %s: %s", argv[0], error->message);
        if (!g_spawn_check_wait_status(status, &error))
                g_error("%s failed: %s\n%s", argv[0], error->message, err);
        return g_steal_pointer(&out);
}

static const char bus_config[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <type>system</type>\n"
        "  <auth>EXTERNAL</auth>\n"
        "  <listen>unix:path=%s/system_bus_socket</listen>\n"
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <deny own=\"*\"/>\n"
        "    <deny send_type=\"method_call\"/>\n"
        "    <allow send_type=\"signal\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
        "    <allow receive_type=\"method_call\"/>\n"
        "    <allow receive_type=\"method_return\"/>\n"
        "    <allow receive_type=\"error\"/>\n"
        "    <allow receive_type=\"signal\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
        "  </policy>\n"
        "  <include>%s/dbus/org.backstop.Firewall1.conf</include>\n"
        "  <include ignore_missing=\"yes\">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>\n"
        "</busconfig>\n";

/* Children die with the test, also when an assertion aborts it. */
static void die_with_parent(gpointer userdata) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
}

BsBusFixture *bs_bus_fixture_new(void) {
        g_autoptr(GError) error = NULL;
        BsBusFixture *f = g_new0(BsBusFixture, 1);
        f->tmpdir = g_dir_make_tmp("backstop-bus-XXXXXX", &error);
        g_assert_no_error(error);
        f->runtime_dir = g_build_filename(f->tmpdir, "run", NULL);
        f->state_dir = g_build_filename(f->tmpdir, "state", NULL);
        f->daemon_log = g_build_filename(f->tmpdir, "backstopd.log", NULL);
        g_assert_cmpint(g_mkdir(f->runtime_dir, 0700), ==, 0);
        g_assert_cmpint(g_mkdir(f->state_dir, 0700), ==, 0);

        /* Every backstopd the tests start (and --restore) manages the
         * ruleset of the backend under test (test-backend.h), whose iptables
         * is the oracle, whatever the host's iptables or /etc/backstop says,
         * unless a test passes --config or --backend */
        g_autofree char *daemon_conf = g_build_filename(f->tmpdir, "backstopd.conf", NULL);
        g_autofree char *text = g_strdup_printf("# written by the tests' bus fixture\nBackend=%s\n",
                                                bs_test_backend_name());
        g_assert_true(g_file_set_contents(daemon_conf, text, -1, NULL));
        g_setenv("BACKSTOP_CONFIG", daemon_conf, TRUE);

        const char *src = g_getenv("BACKSTOP_SOURCE_ROOT");
        g_assert_nonnull(src);
        g_autofree char *conf = g_strdup_printf(bus_config, f->tmpdir, src);
        g_autofree char *conf_path = g_build_filename(f->tmpdir, "bus.conf", NULL);
        g_assert_true(g_file_set_contents(conf_path, conf, -1, &error));
        g_autofree char *conf_arg = g_strdup_printf("--config-file=%s", conf_path);

        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
        g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
        f->bus = g_subprocess_launcher_spawn(l, &error, "dbus-daemon", conf_arg, "--nofork", "--nopidfile",
                                             "--print-address=1", NULL);
        g_assert_no_error(error);
        g_autoptr(GDataInputStream) in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->bus));
        f->bus_address = g_data_input_stream_read_line(in, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(f->bus_address);
        return f;
}

static gboolean name_has_owner(const char *address) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) c = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!c)
                return FALSE;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "NameHasOwner",
                                                            g_variant_new("(s)", "org.backstop.Firewall1"),
                                                            G_VARIANT_TYPE("(b)"), 0, -1, NULL, &error);
        gboolean owned = FALSE;
        if (r)
                g_variant_get(r, "(b)", &owned);
        return owned;
}

static void dump_log(BsBusFixture *f) {
        g_autofree char *log = NULL;
        if (g_file_get_contents(f->daemon_log, &log, NULL, NULL))
                g_printerr("---- backstopd log ----\n%s-----------------------\n", log);
}

void bs_bus_fixture_start_daemon(BsBusFixture *f, const char *bus_address, const char *const *extra_env,
                                 const char *const *extra_args) {
        g_assert_null(f->daemon);
        const char *address = bus_address ? bus_address : f->bus_address;
        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
        g_subprocess_launcher_setenv(l, "BACKSTOP_RUNTIME_DIR", f->runtime_dir, TRUE);
        g_subprocess_launcher_setenv(l, "BACKSTOP_STATE_DIR", f->state_dir, TRUE);
        g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
        g_subprocess_launcher_unsetenv(l, "NOTIFY_SOCKET");
        g_subprocess_launcher_unsetenv(l, "WATCHDOG_USEC");
        for (size_t i = 0; extra_env && extra_env[i]; i++) {
                g_auto(GStrv) kv = g_strsplit(extra_env[i], "=", 2);
                g_subprocess_launcher_setenv(l, kv[0], kv[1] ? kv[1] : "", TRUE);
        }
        g_autofree char *fd_path = g_strdup(f->daemon_log);
        int logfd = open(fd_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        g_assert_cmpint(logfd, >=, 0);
        g_subprocess_launcher_take_stderr_fd(l, logfd);

        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(argv, bs_test_build_path("daemon/backstopd"));
        for (size_t i = 0; extra_args && extra_args[i]; i++)
                g_ptr_array_add(argv, g_strdup(extra_args[i]));
        g_ptr_array_add(argv, NULL);

        g_autoptr(GError) error = NULL;
        f->daemon = g_subprocess_launcher_spawnv(l, (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);

        /* Up to 60 s: a start under ASan on a busy machine is slow. */
        gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
        for (;;) {
                if (name_has_owner(address))
                        return;
                if (g_subprocess_get_identifier(f->daemon) == NULL) {  /* reaped: it exited */
                        dump_log(f);
                        g_error("backstopd exited before taking its name");
                }
                if (g_get_monotonic_time() > end)
                        break;
                g_usleep(20000);
        }
        dump_log(f);
        g_error("backstopd did not take its name within 60 s");
}

/* Under ASan/UBSan the daemon's findings land in its log: they fail the
 * test. */
static void check_log_clean(BsBusFixture *f) {
        g_autofree char *log = NULL;
        if (!g_file_get_contents(f->daemon_log, &log, NULL, NULL))
                return;
        if (strstr(log, "Sanitizer") || strstr(log, "runtime error:")) {
                dump_log(f);
                g_error("backstopd: sanitizer findings (log above)");
        }
}

void bs_bus_fixture_wait_log(BsBusFixture *f, const char *text, unsigned times) {
        gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
        for (;;) {
                g_autofree char *log = NULL;
                unsigned seen = 0;
                if (g_file_get_contents(f->daemon_log, &log, NULL, NULL))
                        for (const char *p = log; (p = strstr(p, text)); p += strlen(text))
                                seen++;
                if (seen >= times)
                        return;
                if (g_get_monotonic_time() > end) {
                        dump_log(f);
                        g_error("backstopd did not log \"%s\" within 60 s", text);
                }
                g_usleep(20000);
        }
}

int bs_bus_fixture_daemon_child(BsBusFixture *f) {
        g_assert_nonnull(f->daemon);
        int pid = atoi(g_subprocess_get_identifier(f->daemon));
        g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/children", pid, pid);
        g_autofree char *children = NULL;
        g_assert_true(g_file_get_contents(path, &children, NULL, NULL));
        return atoi(children);
}

int bs_bus_fixture_stop_daemon(BsBusFixture *f, int sig) {
        if (!f->daemon)
                return 0;
        if (g_subprocess_get_identifier(f->daemon))
                g_subprocess_send_signal(f->daemon, sig);
        g_autoptr(GError) error = NULL;
        g_subprocess_wait(f->daemon, NULL, &error);
        g_assert_no_error(error);
        int status = g_subprocess_get_status(f->daemon);
        g_clear_object(&f->daemon);
        check_log_clean(f);
        return status;
}

GDBusConnection *bs_bus_fixture_connect(BsBusFixture *f) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *c = g_dbus_connection_new_for_address_sync(
                f->bus_address,
                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL,
                NULL, &error);
        g_assert_no_error(error);
        return c;
}

static void remove_tree(const char *path) {
        GDir *d = g_dir_open(path, 0, NULL);
        if (d) {
                const char *name;
                while ((name = g_dir_read_name(d))) {
                        g_autofree char *p = g_build_filename(path, name, NULL);
                        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                                remove_tree(p);
                        else
                                (void) g_unlink(p);
                }
                g_dir_close(d);
        }
        (void) g_rmdir(path);
}

void bs_bus_fixture_free(BsBusFixture *f) {
        if (!f)
                return;
        if (f->daemon)
                (void) bs_bus_fixture_stop_daemon(f, SIGTERM);
        if (f->bus) {
                g_subprocess_send_signal(f->bus, SIGTERM);
                g_subprocess_wait(f->bus, NULL, NULL);
                g_object_unref(f->bus);
        }
        remove_tree(f->tmpdir);
        g_free(f->tmpdir);
        g_free(f->bus_address);
        g_free(f->runtime_dir);
        g_free(f->state_dir);
        g_free(f->daemon_log);
        g_free(f);
}
