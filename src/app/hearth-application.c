/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-application"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "hearth-application.h"

#include "hearth-certificate-dialog-queue.h"
#include "hearth-control-server.h"
#include "hearth-hub.h"
#include "hearth-kiosk-controller.h"
#include "hearth-renderer.h"
#include "hearth-screenshot.h"
#include "hearth-version.h"
#include "hearth-window.h"

/* Developer and test overrides of where the hub keeps its data and whether it browses the
 * network, below the --data-dir and --no-discovery options: tests and the demo home must never
 * touch the user's own hub, and unlike --data-dir they keep the application unique. */
#define HEARTH_DATA_DIR_ENV "HEARTH_DATA_DIR"
#define HEARTH_NO_DISCOVERY_ENV "HEARTH_NO_DISCOVERY"
/* Developer option for --screenshot: wait this many seconds after the window appeared, so that
 * devices have connected (build-aux/dev run uses it for docs/screenshots/main-window.png). */
#define HEARTH_SCREENSHOT_DELAY_ENV "HEARTH_SCREENSHOT_DELAY"
/* Developer option for --screenshot: open Settings on this page ("general" or "trust") and take
 * the screenshot of Settings instead of the main window (tests/app/kiosk-cage-test.py checks
 * Settings under cage this way). */
#define HEARTH_SCREENSHOT_SETTINGS_ENV "HEARTH_SCREENSHOT_SETTINGS"
#define SCREENSHOT_MAX_DELAY_SECONDS 600

/* The screenshot is taken after this many painted frames, so that icons and the view switcher
 * have settled; the deadline stops a run that never paints (for example without a display). */
#define SCREENSHOT_AFTER_FRAMES 3
/* ... and no sooner than this after the first of them: libadwaita's transitions (the view
 * switcher title giving way to the switcher when the window gets wide, for example) take about
 * 250 ms, and a screenshot in the middle of one shows both. */
#define SCREENSHOT_SETTLE_US (600 * G_TIME_SPAN_MILLISECOND)
#define SCREENSHOT_DEADLINE_SECONDS 20

#define HEARTH_APPLICATION_DEFAULT_HEARTBEAT 15

enum
{
  PROP_0,
  PROP_KIOSK,
  PROP_SCREENSHOT_PATH,
  PROP_DATA_DIR,
  PROP_PORT,
  PROP_HEARTBEAT,
  PROP_DISCOVERY_ENABLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthApplication
{
  AdwApplication parent_instance;

  /* Owned */
  GSettings *settings;
  char *screenshot_path;
  /* The window the screenshot is of: the main window, or Settings (not owned; both live until
   * the application quits). */
  GtkWidget *screenshot_window;
  gboolean kiosk;
  /* The hub options of the command line; see the properties. */
  char *data_dir;
  int port;
  guint heartbeat;
  gboolean discovery_enabled;
  int exit_status;
  guint painted_frames;
  gint64 first_paint_us;
  gulong after_paint_handler;
  guint screenshot_deadline_source;
  guint screenshot_delay_source;
  guint sigterm_source;
  guint sigint_source;
  HearthHub *hub;
  HearthControlServer *control_server;
  HearthCertificateDialogQueue *certificate_queue;
  GError *hub_error;

  /* Borrowed */
  GdkFrameClock *frame_clock;
};

G_DEFINE_FINAL_TYPE (HearthApplication, hearth_application, ADW_TYPE_APPLICATION)

/* Settings are optional at run time: running from the build tree without
 * GSETTINGS_SCHEMA_DIR must not abort, it only loses the stored preferences. */
static GSettings *
hearth_application_load_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, hearth_get_application_id (), TRUE);
  if (schema == NULL)
    {
      g_debug ("GSettings schema %s is not installed; using defaults",
               hearth_get_application_id ());
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

/* The data directory: --data-dir, else $HEARTH_DATA_DIR, else the "data-dir" setting, else
 * NULL, which is the hub's own default ($XDG_DATA_HOME/hearth), the same as `hearth
 * --headless`. */
static char *
hearth_application_dup_data_dir (HearthApplication *self)
{
  g_autofree char *setting = NULL;
  const char *override = g_getenv (HEARTH_DATA_DIR_ENV);

  if (self->data_dir != NULL && self->data_dir[0] != '\0')
    return g_strdup (self->data_dir);
  if (override != NULL && override[0] != '\0')
    return g_strdup (override);
  if (self->settings != NULL)
    setting = g_settings_get_string (self->settings, "data-dir");
  if (setting != NULL && setting[0] != '\0')
    return g_steal_pointer (&setting);
  return NULL;
}

/* Starts the hub and its control socket (so that hearthctl works with the window as it does
 * with --headless). A failure is kept in hub_error and shown over every window; the windows
 * then stay empty rather than the application crashing. */
static void
hearth_application_start_hub (HearthApplication *self)
{
  g_autofree char *data_dir = hearth_application_dup_data_dir (self);
  g_autofree char *socket_path = NULL;
  g_autoptr (HearthHub) hub = NULL;
  g_autoptr (HearthControlServer) control_server = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port = 0;

  if (self->port >= 0)
    port = (guint16)self->port;
  else if (self->settings != NULL)
    {
      /* GSettings has no getter for the schema's "q" (uint16) type. */
      g_autoptr (GVariant) value = g_settings_get_value (self->settings, "event-port");

      port = g_variant_get_uint16 (value);
    }
  hub = g_initable_new (
      HEARTH_TYPE_HUB, NULL, &error, "data-dir", data_dir, "port", (guint)port, "discovery-enabled",
      self->discovery_enabled && g_getenv (HEARTH_NO_DISCOVERY_ENV) == NULL, "heartbeat",
      self->heartbeat != 0 ? self->heartbeat : HEARTH_APPLICATION_DEFAULT_HEARTBEAT, NULL);
  if (hub != NULL)
    {
      control_server = hearth_control_server_new (hub);
      socket_path = hearth_control_socket_path (hearth_hub_get_data_dir (hub));
      if (!hearth_control_server_listen (control_server, socket_path, &error))
        {
          /* Usually another hub already runs on this data directory; two hubs would fight
           * over the same devices with the same key. */
          hearth_hub_stop (hub);
          g_clear_object (&hub);
        }
    }
  if (hub == NULL)
    {
      g_printerr ("hearth: %s: %s\n", _ ("cannot start the hub"), error->message);
      self->hub_error = g_steal_pointer (&error);
      self->exit_status = 1;
      return;
    }
  self->hub = g_steal_pointer (&hub);
  self->control_server = g_steal_pointer (&control_server);

  if (self->settings != NULL)
    {
      /* Settings → General edits these; the history applies them at its next maintenance. */
      g_settings_bind (self->settings, "history-retention-days", hearth_hub_get_history (self->hub),
                       "retention-days", G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "history-raw-hours", hearth_hub_get_history (self->hub),
                       "raw-hours", G_SETTINGS_BIND_GET);
    }
}

/* The "kiosk" key turned on while Hearth runs (Settings → General, or gsettings) makes the
 * window a kiosk at once. Turned off, it only applies at the next start: kiosk mode is left
 * only through the admin gesture (issue 4, docs/kiosk.md), and the switch in Settings is within
 * reach of anyone at the panel. */
static void
hearth_application_on_kiosk_changed (GSettings *settings, const char *key, gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (HEARTH_IS_WINDOW (window) && g_settings_get_boolean (settings, key))
    hearth_window_set_kiosk (HEARTH_WINDOW (window), TRUE);
}

static void
hearth_application_on_hub_error_response (AdwMessageDialog *dialog, const char *response,
                                          gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
hearth_application_show_hub_error (HearthApplication *self, GtkWindow *parent)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, _ ("Hearth Cannot Start Its Hub"), NULL);

  /* The core's message names the file and says what to do (docs/architecture.md). */
  adw_message_dialog_format_body (
      ADW_MESSAGE_DIALOG (dialog), "%s\n\n%s", self->hub_error->message,
      _ ("No device can be shown or controlled until this is fixed. Hearth quits when you close "
         "this message; start it again afterwards."));
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "quit", _ ("_Quit"));
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "quit");
  hearth_kiosk_size_dialog_responses (ADW_MESSAGE_DIALOG (dialog));
  gtk_widget_add_css_class (dialog, "hub-error");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (hearth_application_on_hub_error_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
hearth_application_on_decision_failed (HearthCertificateDialogQueue *queue, const char *device_id,
                                       const GError *error, gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *text = NULL;
  AdwToast *toast;

  if (!HEARTH_IS_WINDOW (window))
    return;
  /* Translators: %s is a device id, the second %s the reason. */
  text = g_strdup_printf (_ ("Could not store the answer about “%s”: %s"), device_id,
                          error->message);
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 0);
  hearth_window_add_toast (HEARTH_WINDOW (window), toast);
}

/* Gives a window's pages the hub's objects; the hub belongs to the application, so closing the
 * window leaves it running. */
static void
hearth_application_attach_window (HearthApplication *self, HearthWindow *window)
{
  HearthDevicesPage *devices_page = hearth_window_get_devices_page (window);
  HearthEventsPage *events_page = hearth_window_get_events_page (window);
  HearthTrustPage *trust_page = hearth_window_get_trust_page (window);
  HearthDiscovery *discovery;

  if (self->hub == NULL)
    return;

  discovery = hearth_hub_get_discovery (self->hub);
  hearth_devices_page_set_trust_store (devices_page, hearth_hub_get_trust_store (self->hub));
  hearth_devices_page_set_history (devices_page, hearth_hub_get_history (self->hub));
  hearth_devices_page_set_bus (devices_page, hearth_hub_get_bus (self->hub));
  hearth_devices_page_set_registry (devices_page, hearth_hub_get_registry (self->hub));
  /* Pair adopts through the hub, as `hearthctl adopt` does (pin, saved address, connect). */
  hearth_devices_page_set_hub (devices_page, self->hub);
  if (discovery != NULL)
    hearth_devices_page_set_sightings (devices_page, G_LIST_MODEL (discovery));

  hearth_events_page_set_history (events_page, hearth_hub_get_history (self->hub));
  hearth_events_page_set_event_bus (events_page, hearth_hub_get_bus (self->hub));
  hearth_events_page_set_registry (events_page, hearth_hub_get_registry (self->hub));

  hearth_general_settings_set_settings (hearth_window_get_general_settings (window),
                                        self->settings);
  hearth_general_settings_set_hub (hearth_window_get_general_settings (window), self->hub);

  hearth_trust_page_set_trust_store (trust_page, hearth_hub_get_trust_store (self->hub));
  hearth_trust_page_set_hub_identity (trust_page, hearth_hub_get_identity (self->hub));
  hearth_trust_page_set_hub (trust_page, self->hub);

  /* One queue for the application, so that a change is asked about once, over the window the
   * user is looking at. */
  if (self->certificate_queue == NULL)
    {
      self->certificate_queue = hearth_certificate_dialog_queue_new (
          hearth_hub_get_trust_store (self->hub), GTK_WINDOW (window));
      g_signal_connect_object (self->certificate_queue, "decision-failed",
                               G_CALLBACK (hearth_application_on_decision_failed), self, 0);
    }
  else
    hearth_certificate_dialog_queue_set_parent (self->certificate_queue, GTK_WINDOW (window));
}

static void
hearth_application_stop_screenshot_watch (HearthApplication *self)
{
  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->after_paint_handler, self->frame_clock);
  self->frame_clock = NULL;
  g_clear_handle_id (&self->screenshot_deadline_source, g_source_remove);
  g_clear_handle_id (&self->screenshot_delay_source, g_source_remove);
}

static guint
hearth_application_get_screenshot_delay (void)
{
  const char *text = g_getenv (HEARTH_SCREENSHOT_DELAY_ENV);
  guint64 seconds = 0;

  if (text == NULL
      || !g_ascii_string_to_unsigned (text, 10, 0, SCREENSHOT_MAX_DELAY_SECONDS, &seconds, NULL))
    return 0;
  return (guint)seconds;
}

static gboolean
hearth_application_screenshot_deadline (gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);

  self->screenshot_deadline_source = 0;
  g_printerr ("hearth: no frame was painted within %d s; no screenshot written\n",
              SCREENSHOT_DEADLINE_SECONDS);
  self->exit_status = 1;
  hearth_application_stop_screenshot_watch (self);
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

static void
hearth_application_after_paint (GdkFrameClock *frame_clock, gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);
  GtkWidget *window = self->screenshot_window;
  g_autoptr (GError) error = NULL;

  if (self->painted_frames == 0)
    self->first_paint_us = g_get_monotonic_time ();
  if (++self->painted_frames < SCREENSHOT_AFTER_FRAMES
      || g_get_monotonic_time () - self->first_paint_us < SCREENSHOT_SETTLE_US)
    {
      gtk_widget_queue_draw (window);
      return;
    }

  hearth_application_stop_screenshot_watch (self);
  if (hearth_widget_save_png (window, self->screenshot_path, &error))
    {
      g_print ("hearth: wrote %s (%d×%d)\n", self->screenshot_path, gtk_widget_get_width (window),
               gtk_widget_get_height (window));
    }
  else
    {
      g_printerr ("hearth: screenshot failed: %s\n", error->message);
      self->exit_status = 1;
    }
  g_application_quit (G_APPLICATION (self));
}

static void
hearth_application_watch_frames (HearthApplication *self, GtkWidget *window)
{
  self->frame_clock = gtk_widget_get_frame_clock (window);
  self->after_paint_handler = g_signal_connect (self->frame_clock, "after-paint",
                                                G_CALLBACK (hearth_application_after_paint), self);
  gtk_widget_queue_draw (window);
}

static gboolean
hearth_application_screenshot_delay_over (gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);

  self->screenshot_delay_source = 0;
  if (self->screenshot_window != NULL)
    hearth_application_watch_frames (self, self->screenshot_window);
  return G_SOURCE_REMOVE;
}

static void
hearth_application_window_mapped (GtkWidget *window, gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);
  guint delay = hearth_application_get_screenshot_delay ();

  g_signal_handlers_disconnect_by_func (window, hearth_application_window_mapped, self);
  if (delay > 0)
    self->screenshot_delay_source
        = g_timeout_add_seconds (delay, hearth_application_screenshot_delay_over, self);
  else
    hearth_application_watch_frames (self, window);
}

static void
hearth_application_show_about (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  HearthApplication *self = HEARTH_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { "The Hearth developers", NULL };

  adw_show_about_window (parent, "application-name", _ ("Hearth"), "application-icon",
                         hearth_get_application_id (), "version", hearth_get_version (), "comments",
                         _ ("A local-first hub for the devices in your home"), "developers",
                         developers, "license-type", GTK_LICENSE_GPL_3_0, NULL);
}

static void
hearth_application_quit (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* A kiosk is stopped by its service manager with SIGTERM, a terminal with Ctrl-C: both quit
 * the way the Quit action does, so windows and core objects are disposed in order. */
static gboolean
hearth_application_on_stop_signal (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static const GActionEntry hearth_application_actions[] = {
  { .name = "about", .activate = hearth_application_show_about },
  { .name = "quit", .activate = hearth_application_quit },
};

static void
hearth_application_activate (GApplication *application)
{
  HearthApplication *self = HEARTH_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (hearth_window_new (ADW_APPLICATION (self)));
      hearth_window_set_kiosk (HEARTH_WINDOW (window), hearth_application_get_kiosk (self));
      if (self->settings != NULL)
        {
          /* The dimming delay follows the setting while Hearth runs; kiosk mode itself is
           * read once, so that leaving it with the admin gesture lasts until the next start. */
          g_settings_bind (self->settings, "idle-dim-seconds",
                           hearth_window_get_kiosk_controller (HEARTH_WINDOW (window)),
                           "idle-dim-seconds", G_SETTINGS_BIND_GET);
        }

      if (self->screenshot_path != NULL)
        {
          const char *settings_page = g_getenv (HEARTH_SCREENSHOT_SETTINGS_ENV);

          self->screenshot_window = GTK_WIDGET (window);
          if (g_strcmp0 (settings_page, "general") == 0 || g_strcmp0 (settings_page, "trust") == 0)
            self->screenshot_window
                = GTK_WIDGET (hearth_window_get_preferences_window (HEARTH_WINDOW (window)));
          else if (settings_page != NULL)
            g_printerr ("hearth: %s must be “general” or “trust”; ignored\n",
                        HEARTH_SCREENSHOT_SETTINGS_ENV);
          g_signal_connect (self->screenshot_window, "map",
                            G_CALLBACK (hearth_application_window_mapped), self);
          self->screenshot_deadline_source = g_timeout_add_seconds (
              SCREENSHOT_DEADLINE_SECONDS + hearth_application_get_screenshot_delay (),
              hearth_application_screenshot_deadline, self);
        }
      hearth_application_attach_window (self, HEARTH_WINDOW (window));
      gtk_window_present (window);
      if (self->screenshot_window != NULL && self->screenshot_window != GTK_WIDGET (window))
        hearth_window_show_settings (HEARTH_WINDOW (window),
                                     g_getenv (HEARTH_SCREENSHOT_SETTINGS_ENV));
      if (self->hub_error != NULL)
        hearth_application_show_hub_error (self, window);
      return;
    }

  gtk_window_present (window);
}

/* Without --data-dir the application is unique, and a Hearth already running on the session
 * only gets "activate" and presents its window. Options that shape how a hub or a window
 * starts would then silently do nothing, so they are refused with a message instead; plain
 * `hearth` still shows the running window. Registering here, inside g_application_run(), lets
 * GApplication unregister cleanly whatever is returned. */
static int
hearth_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  HearthApplication *self = HEARTH_APPLICATION (application);
  g_autoptr (GError) error = NULL;

  if (!self->kiosk && self->port < 0 && self->heartbeat == 0 && self->discovery_enabled)
    return -1;
  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("hearth: %s\n", error->message);
      return 1;
    }
  if (g_application_get_is_remote (application))
    {
      g_printerr (_ ("hearth: Hearth is already running, and --kiosk, --port, --heartbeat and "
                     "--no-discovery only apply when it starts. Quit it first, or start a "
                     "second hub with its own --data-dir DIR.\n"));
      return 1;
    }
  return -1;
}

static void
hearth_application_startup (GApplication *application)
{
  HearthApplication *self = HEARTH_APPLICATION (application);
  static const char *quit_accels[] = { "<primary>q", NULL };
  static const char *settings_accels[] = { "<primary>comma", NULL };

  G_APPLICATION_CLASS (hearth_application_parent_class)->startup (application);
  /* Before any window exists: GTK picks a window's renderer when it is realized. */
  if (gdk_display_get_default () != NULL)
    hearth_renderer_choose (gdk_display_get_default ());

  g_action_map_add_action_entries (G_ACTION_MAP (self), hearth_application_actions,
                                   G_N_ELEMENTS (hearth_application_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-settings",
                                         settings_accels);

  self->settings = hearth_application_load_settings ();
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed::kiosk",
                             G_CALLBACK (hearth_application_on_kiosk_changed), self, 0);
  self->sigterm_source = g_unix_signal_add (SIGTERM, hearth_application_on_stop_signal, self);
  self->sigint_source = g_unix_signal_add (SIGINT, hearth_application_on_stop_signal, self);
  hearth_application_start_hub (self);
}

/* The hub stops in order (proxies unsubscribe, history flushes) before the windows go. */
static void
hearth_application_shutdown (GApplication *application)
{
  HearthApplication *self = HEARTH_APPLICATION (application);

  if (self->control_server != NULL)
    hearth_control_server_stop (self->control_server);
  if (self->hub != NULL)
    hearth_hub_stop (self->hub);

  G_APPLICATION_CLASS (hearth_application_parent_class)->shutdown (application);
}

static void
hearth_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthApplication *self = HEARTH_APPLICATION (object);

  switch (prop_id)
    {
      case PROP_KIOSK:
        g_value_set_boolean (value, self->kiosk);
        break;

      case PROP_SCREENSHOT_PATH:
        g_value_set_string (value, self->screenshot_path);
        break;

      case PROP_DATA_DIR:
        g_value_set_string (value, self->data_dir);
        break;

      case PROP_PORT:
        g_value_set_int (value, self->port);
        break;

      case PROP_HEARTBEAT:
        g_value_set_uint (value, self->heartbeat);
        break;

      case PROP_DISCOVERY_ENABLED:
        g_value_set_boolean (value, self->discovery_enabled);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_application_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthApplication *self = HEARTH_APPLICATION (object);

  switch (prop_id)
    {
      case PROP_KIOSK:
        self->kiosk = g_value_get_boolean (value);
        break;

      case PROP_SCREENSHOT_PATH:
        g_free (self->screenshot_path);
        self->screenshot_path = g_value_dup_string (value);
        break;

      case PROP_DATA_DIR:
        g_free (self->data_dir);
        self->data_dir = g_value_dup_string (value);
        break;

      case PROP_PORT:
        self->port = g_value_get_int (value);
        break;

      case PROP_HEARTBEAT:
        self->heartbeat = g_value_get_uint (value);
        break;

      case PROP_DISCOVERY_ENABLED:
        self->discovery_enabled = g_value_get_boolean (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_application_dispose (GObject *object)
{
  HearthApplication *self = HEARTH_APPLICATION (object);

  hearth_application_stop_screenshot_watch (self);
  g_clear_handle_id (&self->sigterm_source, g_source_remove);
  g_clear_handle_id (&self->sigint_source, g_source_remove);
  g_clear_object (&self->settings);
  g_clear_object (&self->certificate_queue);
  g_clear_object (&self->control_server);
  g_clear_object (&self->hub);
  g_clear_error (&self->hub_error);

  G_OBJECT_CLASS (hearth_application_parent_class)->dispose (object);
}

static void
hearth_application_finalize (GObject *object)
{
  HearthApplication *self = HEARTH_APPLICATION (object);

  g_clear_pointer (&self->screenshot_path, g_free);
  g_clear_pointer (&self->data_dir, g_free);

  G_OBJECT_CLASS (hearth_application_parent_class)->finalize (object);
}

static void
hearth_application_class_init (HearthApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = hearth_application_get_property;
  object_class->set_property = hearth_application_set_property;
  object_class->dispose = hearth_application_dispose;
  object_class->finalize = hearth_application_finalize;

  application_class->activate = hearth_application_activate;
  application_class->handle_local_options = hearth_application_handle_local_options;
  application_class->startup = hearth_application_startup;
  application_class->shutdown = hearth_application_shutdown;

  /**
   * HearthApplication:kiosk:
   *
   * Whether --kiosk was given. The "kiosk" GSettings key can turn kiosk mode on as well;
   * hearth_application_get_kiosk() combines both.
   */
  properties[PROP_KIOSK]
      = g_param_spec_boolean ("kiosk", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthApplication:screenshot-path:
   *
   * A developer option: when set, the main window is rendered to this PNG file once it has
   * painted, and the application quits.
   */
  properties[PROP_SCREENSHOT_PATH]
      = g_param_spec_string ("screenshot-path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthApplication:data-dir:
   *
   * The hub's data directory from --data-dir, or %NULL for $HEARTH_DATA_DIR, the "data-dir"
   * setting or the default.
   */
  properties[PROP_DATA_DIR]
      = g_param_spec_string ("data-dir", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthApplication:port:
   *
   * The event server's port from --port (0 picks a free one), or -1 for the "event-port"
   * setting.
   */
  properties[PROP_PORT]
      = g_param_spec_int ("port", NULL, NULL, -1, G_MAXUINT16, -1,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthApplication:heartbeat:
   *
   * The heartbeat interval asked of devices, in seconds; 0 for the default (15).
   */
  properties[PROP_HEARTBEAT]
      = g_param_spec_uint ("heartbeat", NULL, NULL, 0, 60, 0,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthApplication:discovery-enabled:
   *
   * Whether the hub browses mDNS and sends multicast probes (--no-discovery turns it off, as
   * does $HEARTH_NO_DISCOVERY).
   */
  properties[PROP_DISCOVERY_ENABLED]
      = g_param_spec_boolean ("discovery-enabled", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_application_init (HearthApplication *self)
{
}

HearthApplication *
hearth_application_new (gboolean kiosk, const char *screenshot_path)
{
  return hearth_application_new_full (kiosk, screenshot_path, NULL, -1, 0, TRUE);
}

/**
 * hearth_application_new_full:
 * @kiosk: --kiosk
 * @screenshot_path: (nullable): --screenshot
 * @data_dir: (nullable): --data-dir; %NULL for $HEARTH_DATA_DIR, the setting or the default
 * @port: --port, or -1 for the "event-port" setting
 * @heartbeat: --heartbeat in seconds, or 0 for the default (15)
 * @discovery_enabled: %FALSE for --no-discovery
 *
 * A Hearth without --data-dir is unique on the session bus: starting it again presents the
 * running window (src/main.c refuses other options then). With --data-dir it runs as a
 * separate instance, because the data directory names one hub completely (docs/cli.md): a
 * second hub on another directory is what the user asked for, and a second one on the same
 * directory is refused by the hub's control socket with a message naming it. A screenshot run
 * is separate too, so that it never hands its work to a running Hearth.
 *
 * Returns: (transfer full): a new application
 */
HearthApplication *
hearth_application_new_full (gboolean kiosk, const char *screenshot_path, const char *data_dir,
                             int port, guint heartbeat, gboolean discovery_enabled)
{
  gboolean separate = screenshot_path != NULL || data_dir != NULL;

  g_return_val_if_fail (port >= -1 && port <= G_MAXUINT16, NULL);
  g_return_val_if_fail (heartbeat <= 60, NULL);

  /* The resource base path stays the same in development builds, whose application id has a
   * .Devel suffix, so that style.css and the templates are found under one path. */
  return g_object_new (HEARTH_TYPE_APPLICATION, "application-id", hearth_get_application_id (),
                       "flags", separate ? G_APPLICATION_NON_UNIQUE : G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/hearth/Hearth", "kiosk", kiosk,
                       "screenshot-path", screenshot_path, "data-dir", data_dir, "port", port,
                       "heartbeat", heartbeat, "discovery-enabled", discovery_enabled, NULL);
}

/**
 * hearth_application_get_kiosk:
 *
 * Returns: %TRUE if --kiosk was given or the "kiosk" setting is on
 */
gboolean
hearth_application_get_kiosk (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), FALSE);

  if (self->kiosk)
    return TRUE;
  return self->settings != NULL && g_settings_get_boolean (self->settings, "kiosk");
}

/**
 * hearth_application_get_exit_status:
 *
 * Returns: the status the process should exit with after g_application_run() returns
 */
int
hearth_application_get_exit_status (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), 1);

  return self->exit_status;
}

/**
 * hearth_application_get_hub:
 *
 * Returns: (transfer none) (nullable): the hub, once started; %NULL before start-up or when
 *   it could not start (hearth_application_get_hub_error() says why)
 */
HearthHub *
hearth_application_get_hub (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);

  return self->hub;
}

/**
 * hearth_application_get_hub_error:
 *
 * Returns: (transfer none) (nullable): why the hub could not start, or %NULL
 */
const GError *
hearth_application_get_hub_error (HearthApplication *self)
{
  g_return_val_if_fail (HEARTH_IS_APPLICATION (self), NULL);

  return self->hub_error;
}
