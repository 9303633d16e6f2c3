/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gi18n.h>
#include <locale.h>

#include "panel-app.h"
#include "panel-config.h"

int main(int argc, char **argv) {
        setlocale(LC_ALL, "");
        bindtextdomain(PANEL_GETTEXT_PACKAGE, PANEL_LOCALEDIR);
        bind_textdomain_codeset(PANEL_GETTEXT_PACKAGE, "UTF-8");
        textdomain(PANEL_GETTEXT_PACKAGE);

        g_autoptr(PanelApp) app = panel_app_new();
        return g_application_run(G_APPLICATION(app), argc, argv);
}
