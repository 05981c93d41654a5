/* httpload: open-loop HTTP/1.1 load at a fixed rate over keep-alive connections, for Ops/bench.
 * Each of C connections (one thread each) sends one request every C/R seconds on a fixed schedule and
 * waits for the whole response; latency is measured from the scheduled send time, so a slow server
 * cannot hide queueing (no coordinated omission). Bounded by duration and request count.
 *
 *   httpload -p PORT -m METHOD -u PATH [-b BODYFILE] [-H "Header: v"]... -r RATE -c CONNS -d SECONDS [-l LABEL]
 * In the body, the first "{n}" is replaced per request by "<connection>-<request>" (unique ids).
 * Prints one JSON line: {"label","rate_target","sent","ok","errors","rate","p50_ms","p90_ms","p99_ms","max_ms"}.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port = 8080, conns = 8, duration = 10;
static double rate = 1000;
static const char *method = "GET", *path = "/", *label = "load";
static char *body = NULL; static size_t body_len = 0;
static char headers[8192] = "";
static double *lat; static long lat_n = 0, lat_cap; static long errors = 0, sent = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {5, 0}; setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Reads one response (Content-Length bodies only); returns the status or -1. */
static int read_response(int fd, char *buf, size_t cap) {
  size_t have = 0; char *end = NULL;
  while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
    ssize_t n = read(fd, buf + have, cap - have); if (n <= 0) return -1; have += n;
  }
  int status = atoi(buf + 9);
  char *cl = memmem(buf, end - buf, "Content-Length:", 15);
  if (!cl) cl = memmem(buf, end - buf, "content-length:", 15);
  size_t len = cl ? strtoul(cl + 15, NULL, 10) : 0, head = end + 4 - buf;
  while (have < head + len) { ssize_t n = read(fd, buf + have, cap - have > 0 ? cap - have : 0); if (n <= 0) return -1; have += n; }
  return status;
}

static void *worker(void *arg) {
  long id = (long)arg; double interval = conns / rate, start = now() + 0.05 + id * (interval / conns), stop = start + duration;
  char req[32768]; char *buf = malloc(1 << 20); int fd = dial(); long i = 0;
  char *mark = body ? memmem(body, body_len, "{n}", 3) : NULL;
  for (double t = start; t < stop; t += interval, i++) {
    char b[16384]; size_t bl = body_len;
    if (mark) {
      int pre = (int)(mark - body);
      bl = snprintf(b, sizeof b, "%.*s%ld-%ld%.*s", pre, body, id, i, (int)(body_len - pre - 3), mark + 3);
    } else if (body_len) { memcpy(b, body, body_len < sizeof b ? body_len : sizeof b); }
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\n\r\n%.*s", method, path, headers, bl, (int)bl, b);
    double w = t - now(); if (w > 0) { struct timespec s = {(time_t)w, (long)((w - (time_t)w) * 1e9)}; nanosleep(&s, NULL); }
    if (fd < 0) fd = dial();
    int st = -1;
    if (fd >= 0 && write(fd, req, n) == n) st = read_response(fd, buf, 1 << 20);
    double l = (now() - t) * 1000;
    pthread_mutex_lock(&mu); sent++;
    if (st >= 200 && st < 300) { if (lat_n < lat_cap) lat[lat_n++] = l; } else { errors++; if (fd >= 0) { close(fd); fd = -1; } }
    pthread_mutex_unlock(&mu);
  }
  if (fd >= 0) close(fd);
  free(buf);
  return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  int o;
  while ((o = getopt(argc, argv, "p:m:u:b:H:r:c:d:l:")) != -1) switch (o) {
    case 'p': port = atoi(optarg); break; case 'm': method = optarg; break; case 'u': path = optarg; break;
    case 'r': rate = atof(optarg); break; case 'c': conns = atoi(optarg); break; case 'd': duration = atoi(optarg); break;
    case 'l': label = optarg; break;
    case 'H': strncat(headers, optarg, sizeof headers - strlen(headers) - 3); strcat(headers, "\r\n"); break;
    case 'b': { FILE *f = fopen(optarg, "rb"); if (!f) { perror(optarg); return 2; } fseek(f, 0, SEEK_END); body_len = ftell(f); rewind(f);
                body = malloc(body_len); if (fread(body, 1, body_len, f) != body_len) return 2; fclose(f); break; }
    default: fprintf(stderr, "usage: see the comment at the top of httpload.c\n"); return 2;
  }
  if (duration > 600 || rate > 200000 || conns > 1000) { fprintf(stderr, "bounds: duration <= 600 s, rate <= 200000, conns <= 1000\n"); return 2; }
  lat_cap = (long)(rate * duration) + 1000; lat = malloc(sizeof(double) * lat_cap);
  pthread_t th[1000]; double t0 = now();
  for (long i = 0; i < conns; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
  double el = now() - t0 - 0.05;
  qsort(lat, lat_n, sizeof(double), cmp);
#define P(q) (lat_n ? lat[(long)((lat_n - 1) * (q))] : 0)
  printf("{\"label\":\"%s\",\"rate_target\":%.0f,\"sent\":%ld,\"ok\":%ld,\"errors\":%ld,\"rate\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
         label, rate, sent, lat_n, errors, lat_n / el, P(0.5), P(0.9), P(0.99), lat_n ? lat[lat_n - 1] : 0);
  return 0;
}
