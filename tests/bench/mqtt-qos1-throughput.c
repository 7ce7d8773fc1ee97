/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mqtt-qos1-throughput: the peer of the event intake benchmark. P publishers each publish N
 * messages at QoS 1 to a broker on loopback, as fast as their in-flight window allows; one
 * subscriber (QoS 1) counts what arrives. Prints one line:
 *
 *   published=<n> received=<n> seconds=<s> rate=<received per second>
 *
 * measured from the first publish to the last message received. TCP_NODELAY is set on every
 * client (MOSQ_OPT_TCP_NODELAY): with Nagle on, QoS 1 stalls on delayed acknowledgements and
 * the broker would look slower than it is.
 *
 * Usage: mqtt-qos1-throughput PORT PUBLISHERS MESSAGES-PER-PUBLISHER [PAYLOAD-BYTES] */

#include <mosquitto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOPIC_PREFIX "hearth/bench/"
#define MAX_IN_FLIGHT 20

static atomic_long received;
static atomic_long acknowledged;
static atomic_int subscribed;

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_message (struct mosquitto *mosq, void *user_data, const struct mosquitto_message *message)
{
  atomic_fetch_add (&received, 1);
}

static void
on_subscribe (struct mosquitto *mosq, void *user_data, int mid, int qos_count,
              const int *granted_qos)
{
  atomic_store (&subscribed, 1);
}

static void
on_publish (struct mosquitto *mosq, void *user_data, int mid)
{
  atomic_fetch_add (&acknowledged, 1);
}

static struct mosquitto *
connect_client (const char *id, int port)
{
  struct mosquitto *mosq = mosquitto_new (id, true, NULL);

  if (mosq == NULL)
    {
      fprintf (stderr, "mosquitto_new failed\n");
      exit (1);
    }
  mosquitto_int_option (mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_max_inflight_messages_set (mosq, MAX_IN_FLIGHT);
  if (mosquitto_connect (mosq, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS)
    {
      fprintf (stderr, "cannot connect to the broker on port %d\n", port);
      exit (1);
    }
  return mosq;
}

int
main (int argc, char **argv)
{
  int port, publishers;
  long per_publisher, total;
  size_t payload_bytes = 64;
  struct mosquitto *subscriber;
  struct mosquitto **clients;
  char *payload;
  double started, last_progress;
  long last_received = -1;

  if (argc < 4)
    {
      fprintf (stderr, "usage: %s PORT PUBLISHERS MESSAGES-PER-PUBLISHER [PAYLOAD-BYTES]\n",
               argv[0]);
      return 2;
    }
  port = atoi (argv[1]);
  publishers = atoi (argv[2]);
  per_publisher = atol (argv[3]);
  if (argc > 4)
    payload_bytes = (size_t)atol (argv[4]);
  total = per_publisher * publishers;
  payload = malloc (payload_bytes);
  memset (payload, 'x', payload_bytes);

  mosquitto_lib_init ();
  subscriber = connect_client ("bench-sub", port);
  mosquitto_message_callback_set (subscriber, on_message);
  mosquitto_subscribe_callback_set (subscriber, on_subscribe);
  mosquitto_subscribe (subscriber, NULL, TOPIC_PREFIX "#", 1);
  mosquitto_loop_start (subscriber);
  while (!atomic_load (&subscribed))
    usleep (1000);

  clients = calloc ((size_t)publishers, sizeof *clients);
  for (int i = 0; i < publishers; i++)
    {
      char id[32];

      snprintf (id, sizeof id, "bench-pub-%d", i);
      clients[i] = connect_client (id, port);
      mosquitto_publish_callback_set (clients[i], on_publish);
      mosquitto_loop_start (clients[i]);
    }

  started = now_seconds ();
  /* libmosquitto queues messages beyond the in-flight window itself and sends each as an
   * earlier one is acknowledged, so publishing everything at once keeps every window full. */
  for (long n = 0; n < per_publisher; n++)
    for (int i = 0; i < publishers; i++)
      {
        char topic[64];

        snprintf (topic, sizeof topic, TOPIC_PREFIX "%d", i);
        mosquitto_publish (clients[i], NULL, topic, (int)payload_bytes, payload, 1, false);
      }

  last_progress = now_seconds ();
  while (atomic_load (&received) < total)
    {
      long current = atomic_load (&received);

      if (current != last_received)
        {
          last_received = current;
          last_progress = now_seconds ();
        }
      else if (now_seconds () - last_progress > 10)
        break;
      usleep (200);
    }

  {
    double seconds = now_seconds () - started;
    long got = atomic_load (&received);

    printf ("published=%ld received=%ld acknowledged=%ld seconds=%.3f rate=%.0f\n", total, got,
            atomic_load (&acknowledged), seconds, (double)got / seconds);
  }

  for (int i = 0; i < publishers; i++)
    {
      mosquitto_disconnect (clients[i]);
      mosquitto_loop_stop (clients[i], false);
      mosquitto_destroy (clients[i]);
    }
  mosquitto_disconnect (subscriber);
  mosquitto_loop_stop (subscriber, false);
  mosquitto_destroy (subscriber);
  mosquitto_lib_cleanup ();
  free (clients);
  free (payload);
  return 0;
}
