/* dragbench: drag previews under load, for Ops/bench. S sessions × E editors each post drag positions
 * at R/s (open loop, requests written without waiting; responses drained), each carrying
 * client_ts="e<editor>-<ns>" (CLOCK_MONOTONIC); one watcher stream per session reads the `drag` events
 * and measures receive time − client_ts of every delivered preview. At the end (after a grace) it checks
 * that each editor's newest position was delivered. Bounded by duration; loopback only.
 *
 *   dragbench -p PORT -s SIDFILE -t TOKENFILE -w WATCHER_TOKEN -e EDITORS -r RATE -d SECONDS
 * SIDFILE: one session id per line. TOKENFILE: one merchandiser token per line (editor e uses line e).
 * Prints one JSON line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXS 1000
#define MAXE 16
static int port, S = 0, E = 3, duration = 10; static double rate = 30;
static char sids[MAXS][128]; static char tokens[MAXE][1024]; static char watcher[1024];
static long long last_sent[MAXS][MAXE], max_recv[MAXS][MAXE];
static double *lat; static long lat_n = 0, lat_cap; static long sent = 0, events = 0;
static volatile int stop_reading = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int read_lines(const char *path, char *dst, int stride, int max) {
  FILE *f = fopen(path, "r"); if (!f) { perror(path); exit(2); }
  int n = 0; while (n < max && fgets(dst + (long)n * stride, stride, f)) { dst[(long)n * stride + strcspn(dst + (long)n * stride, "\r\n")] = 0; if (dst[(long)n * stride]) n++; }
  fclose(f); return n;
}

/* Watchers: one stream per session; scan for client_ts marks in the bytes. */
static void *reader(void *arg) {
  (void)arg;
  struct pollfd pf[MAXS]; char tail[MAXS][96]; int tl[MAXS];
  for (int i = 0; i < S; i++) {
    pf[i].fd = dial(); pf[i].events = POLLIN; tl[i] = 0;
    char req[2048]; int n = snprintf(req, sizeof req, "GET /api/sessions/%s/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n", sids[i], watcher);
    if (write(pf[i].fd, req, n) != n) { fprintf(stderr, "watcher write failed\n"); exit(3); }
  }
  static char buf[1 << 17];
  while (!stop_reading) {
    if (poll(pf, S, 100) <= 0) continue;
    long long t = now_ns();
    for (int i = 0; i < S; i++) {
      if (!(pf[i].revents & POLLIN)) continue;
      memcpy(buf, tail[i], tl[i]);
      ssize_t r = read(pf[i].fd, buf + tl[i], sizeof buf - tl[i] - 1);
      if (r <= 0) { pf[i].fd = -1; continue; }
      size_t len = tl[i] + r; buf[len] = 0;
      char *p = buf, *q;
      while ((q = memmem(p, buf + len - p, "\"client_ts\":\"e", 14))) {
        char *d = q + 14; char *dash = memchr(d, '-', buf + len - d); char *endq = dash ? memchr(dash, '"', buf + len - dash) : NULL;
        if (!endq) break; /* incomplete: keep as tail */
        int e = atoi(d); long long ts = atoll(dash + 1);
        pthread_mutex_lock(&mu);
        if (e >= 0 && e < E) { if (ts > max_recv[i][e]) max_recv[i][e] = ts; }
        if (lat_n < lat_cap) lat[lat_n++] = (t - ts) / 1e6;
        events++;
        pthread_mutex_unlock(&mu);
        p = endq + 1;
      }
      size_t keep = buf + len - p; if (keep > 95) keep = 95;
      memcpy(tail[i], buf + len - keep, keep); tl[i] = (int)keep;
    }
  }
  return NULL;
}

/* Editors: thread k owns sessions k, k+T, …; each editor has its own keep-alive connection. */
static int T = 4;
static void *editor_thread(void *arg) {
  long k = (long)arg; int fds[MAXS][MAXE]; int mine = 0;
  for (int i = (int)k; i < S; i += T) { for (int e = 0; e < E; e++) { fds[mine][e] = dial(); fcntl(fds[mine][e], F_SETFL, O_NONBLOCK); } mine++; }
  long long start = now_ns() + 200000000LL, stop = start + (long long)duration * 1000000000LL, step = (long long)(1e9 / rate);
  static const char *slots[] = {"A1", "A2", "B3", "C2", "D4", "B1", "C5", "A4"};
  char drain[65536];
  for (long long t = start + k * (step / T); t < stop; t += step) {
    long long w = t - now_ns(); if (w > 0) { struct timespec s = {w / 1000000000LL, w % 1000000000LL}; nanosleep(&s, NULL); }
    int idx = 0;
    for (int i = (int)k; i < S; i += T, idx++) for (int e = 0; e < E; e++) {
      long long ts = now_ns();
      char body[256]; int bl = snprintf(body, sizeof body, "{\"product_id\":\"P001\",\"slot\":\"%s\",\"client_ts\":\"e%d-%lld\"}", slots[(ts / 1000) % 8], e, ts);
      char req[2048]; int n = snprintf(req, sizeof req, "POST /api/sessions/%s/drag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", sids[i], tokens[e], bl, body);
      if (write(fds[idx][e], req, n) == n) {
        pthread_mutex_lock(&mu); sent++; last_sent[i][e] = ts; pthread_mutex_unlock(&mu);
      }
      while (read(fds[idx][e], drain, sizeof drain) > 0) {}
    }
  }
  return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  int o; const char *sidfile = NULL, *tokfile = NULL;
  while ((o = getopt(argc, argv, "p:s:t:w:e:r:d:")) != -1) switch (o) {
    case 'p': port = atoi(optarg); break; case 's': sidfile = optarg; break; case 't': tokfile = optarg; break;
    case 'w': snprintf(watcher, sizeof watcher, "%s", optarg); break; case 'e': E = atoi(optarg); break;
    case 'r': rate = atof(optarg); break; case 'd': duration = atoi(optarg); break;
    default: fprintf(stderr, "usage: see dragbench.c\n"); return 2;
  }
  if (!sidfile || !tokfile || E < 1 || E > MAXE || duration > 120 || rate > 120) { fprintf(stderr, "bad arguments (E <= 16, d <= 120 s, r <= 120/s)\n"); return 2; }
  S = read_lines(sidfile, &sids[0][0], 128, MAXS);
  if (read_lines(tokfile, &tokens[0][0], 1024, MAXE) < E) { fprintf(stderr, "need %d tokens\n", E); return 2; }
  lat_cap = (long)(S * E * rate * duration) + 1000; lat = malloc(sizeof(double) * lat_cap);
  pthread_t rd, th[16];
  pthread_create(&rd, NULL, reader, NULL);
  sleep(1);
  for (long k = 0; k < T; k++) pthread_create(&th[k], NULL, editor_thread, (void *)k);
  for (int k = 0; k < T; k++) pthread_join(th[k], NULL);
  sleep(1); /* grace: the newest positions must arrive well within it */
  stop_reading = 1; pthread_join(rd, NULL);
  int newest_ok = 0, editors = S * E;
  for (int i = 0; i < S; i++) for (int e = 0; e < E; e++) if (last_sent[i][e] && max_recv[i][e] == last_sent[i][e]) newest_ok++;
  qsort(lat, lat_n, sizeof(double), cmp);
#define P(q) (lat_n ? lat[(long)((lat_n - 1) * (q))] : 0)
  printf("{\"sessions\":%d,\"editors_per_session\":%d,\"rate_per_editor\":%.0f,\"duration_s\":%d,\"inputs\":%ld,\"input_rate\":%.0f,"
         "\"drag_events\":%ld,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"newest_delivered\":%d,\"editors\":%d}\n",
         S, E, rate, duration, sent, sent / (double)duration, events, P(0.5), P(0.99), lat_n ? lat[lat_n - 1] : 0, newest_ok, editors);
  return 0;
}
