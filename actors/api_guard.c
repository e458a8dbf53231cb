/*  api_guard.c - what one HTTP client can cost (see api.h).

    civetweb 1.15 ties a worker thread to each open connection, has no hook
    before a worker takes a connection and no accessor for its socket, and
    mg_read returns only once all it was asked for came (its timeout only
    ends a read when no byte came for a whole request_timeout_ms). So:

    - Connections are counted per client address when a worker takes them
      (init_connection). One over the limit is answered 429 right there and
      its socket shut down: civetweb's first read then ends at once and it
      closes the connection itself, so the refusal costs no worker time.
    - Deadlines on a socket (a body that takes too long, an answer the
      client does not take) are kept by a watchdog thread, which shuts the
      socket down when one is due: the read or write stuck on it returns.

    The socket of a connection is found by its addresses (our port, the
    client's address and port) among the process's descriptors, only when
    it is needed: a refused connection, a due deadline, a stop. That is safe
    under the lock: civetweb closes a connection's socket only after its
    connection_close callback, which waits for the lock, so a descriptor
    found for a counted connection while holding the lock is still that
    connection's. Nothing here ever closes a socket civetweb owns.         */
#define _GNU_SOURCE
#include "api.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct _panda_api_guard_t {
    const panda_config_t *config;
    pthread_mutex_t lock;
    pthread_cond_t wake; //  the watchdog: a deadline came earlier, or stop
    pthread_cond_t idle; //  the stop: the last request in a handler left
    pthread_t watchdog;
    bool watchdog_started, quit;
    int64_t wake_at; //  when the watchdog looks next (INT64_MAX: never)
    int port;
    zhashx_t *addresses; //  per-address key -> open connections (uintptr_t)
    panda_api_worker_t **workers;
    size_t worker_count, worker_max;
    atomic_bool stopping;
    atomic_int active; //  requests in handlers
    atomic_size_t body_bytes; //  bodies being read
};

static void *s_watchdog (void *arg);

panda_api_guard_t *
panda_api_guard_new (const panda_config_t *config)
{
    panda_api_guard_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->wake_at = INT64_MAX;
    pthread_mutex_init (&self->lock, NULL);
    //  Deadlines are zclock_mono times: wait on the same clock.
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &attr);
    pthread_cond_init (&self->idle, &attr);
    pthread_condattr_destroy (&attr);
    self->addresses = zhashx_new ();
    self->worker_max = config->http_threads ? config->http_threads : 1;
    self->workers = calloc (self->worker_max, sizeof *self->workers);
    self->watchdog_started =
        self->addresses && self->workers && pthread_create (&self->watchdog, NULL, s_watchdog, self) == 0;
    if (!self->watchdog_started)
        panda_api_guard_destroy (&self);
    return self;
}

void
panda_api_guard_destroy (panda_api_guard_t **self_p)
{
    panda_api_guard_t *self = *self_p;
    if (!self)
        return;
    if (self->watchdog_started) {
        pthread_mutex_lock (&self->lock);
        self->quit = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->watchdog, NULL);
    }
    zhashx_destroy (&self->addresses);
    free (self->workers);
    pthread_cond_destroy (&self->wake);
    pthread_cond_destroy (&self->idle);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
panda_api_guard_set_port (panda_api_guard_t *self, int port)
{
    pthread_mutex_lock (&self->lock);
    self->port = port;
    pthread_mutex_unlock (&self->lock);
}

void
panda_api_guard_add_worker (panda_api_guard_t *self, panda_api_worker_t *worker)
{
    pthread_mutex_lock (&self->lock);
    //  civetweb starts exactly http_threads workers; one more (it never
    //  does) would only go unwatched.
    if (self->worker_count < self->worker_max)
        self->workers[self->worker_count++] = worker;
    pthread_mutex_unlock (&self->lock);
}

void
panda_api_guard_remove_worker (panda_api_guard_t *self, panda_api_worker_t *worker)
{
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->worker_count; i++)
        if (self->workers[i] == worker) {
            self->workers[i] = self->workers[--self->worker_count];
            break;
        }
    pthread_mutex_unlock (&self->lock);
}

// ---------------------------------------------------------------------------
//  Sockets by address

//  Text and port of addr as civetweb prints them (inet_ntop), or false.
static bool
s_addr_text (const struct sockaddr_storage *addr, char *text, size_t size, int *port)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) addr;
        *port = ntohs (in->sin_port);
        return inet_ntop (AF_INET, &in->sin_addr, text, (socklen_t) size) != NULL;
    }
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) addr;
        *port = ntohs (in6->sin6_port);
        return inet_ntop (AF_INET6, &in6->sin6_addr, text, (socklen_t) size) != NULL;
    }
    return false;
}

//  True if fd is a TCP socket on our port.
static bool
s_is_ours (int fd, int our_port)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    int port;
    char text[INET6_ADDRSTRLEN];
    return getsockname (fd, (struct sockaddr *) &local, &len) == 0 &&
           s_addr_text (&local, text, sizeof text, &port) && port == our_port;
}

//  The peer of a connected socket.
static bool
s_peer_of (int fd, char *peer, size_t size, int *peer_port)
{
    struct sockaddr_storage remote;
    socklen_t len = sizeof remote;
    return getpeername (fd, (struct sockaddr *) &remote, &len) == 0 &&
           s_addr_text (&remote, peer, size, peer_port);
}

//  Calls fn for each TCP socket on our port (connections and the listener)
//  until it returns true. Returns that descriptor, or -1.
typedef bool (s_each_fn) (void *ctx, int fd);

static int
s_each_socket (int our_port, s_each_fn *fn, void *ctx)
{
    DIR *dir = opendir ("/proc/self/fd");
    if (!dir)
        return -1;
    int found = -1;
    struct dirent *entry;
    while (found < 0 && (entry = readdir (dir))) {
        char *end;
        long fd = strtol (entry->d_name, &end, 10);
        if (*end || end == entry->d_name || fd == dirfd (dir))
            continue;
        if (s_is_ours ((int) fd, our_port) && fn (ctx, (int) fd))
            found = (int) fd;
    }
    closedir (dir);
    return found;
}

typedef struct {
    const char *addr;
    int port;
} s_match_t;

static bool
s_is_match (void *ctx, int fd)
{
    s_match_t *match = ctx;
    char peer[INET6_ADDRSTRLEN];
    int peer_port;
    return s_peer_of (fd, peer, sizeof peer, &peer_port) && peer_port == match->port &&
           strcmp (peer, match->addr) == 0;
}

//  Call with the lock held, or from the connection's own worker.
static int
s_find_fd (int our_port, const char *addr, int port)
{
    s_match_t match = {addr, port};
    return s_each_socket (our_port, s_is_match, &match);
}

int
panda_api_guard_find_fd (const panda_api_guard_t *self, const char *addr, int port)
{
    return s_find_fd (self->port, addr, port);
}

// ---------------------------------------------------------------------------
//  Connections per address

//  What is counted: an IPv4 address, an IPv6 /64 (one host often has a
//  whole /64).
static void
s_address_key (const char *addr, char *key, size_t size)
{
    struct in6_addr in6;
    if (strchr (addr, ':') && strncmp (addr, "::ffff:", 7) != 0 && inet_pton (AF_INET6, addr, &in6) == 1) {
        memset (in6.s6_addr + 8, 0, 8);
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop (AF_INET6, &in6, text, sizeof text)) {
            snprintf (key, size, "%s/64", text);
            return;
        }
    }
    snprintf (key, size, "%s", addr);
}

//  Answer a connection nobody reads from, and shut its socket down: the
//  first read of civetweb then ends and it closes the connection.
static void
s_refuse (int our_port, const char *addr, int port, int status, const char *text)
{
    int fd = s_find_fd (our_port, addr, port);
    if (fd < 0) {
        panda_log_warn ("api", "cannot find the socket of %s:%d to refuse it", addr, port);
        return;
    }
    char answer[1024];
    int n =
        snprintf (answer, sizeof answer,
                  "HTTP/1.1 %d %s\r\n" PANDA_API_CORS "Content-Type: text/plain; charset=utf-8\r\n"
                  "Retry-After: 1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                  status, status == 429 ? "Too Many Requests" : "Service Unavailable", strlen (text), text);
    if (n > 0 && (size_t) n < sizeof answer && send (fd, answer, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        panda_log_debug ("api", "refusing %s:%d: %s", addr, port, strerror (errno));
    shutdown (fd, SHUT_RDWR);
}

bool
panda_api_guard_open (panda_api_guard_t *self, panda_api_worker_t *worker, const char *addr, int peer_port)
{
    uint32_t limit = self->config->http_max_connections_per_address;
    char key[sizeof worker->peer_key];
    s_address_key (addr, key, sizeof key);
    pthread_mutex_lock (&self->lock);
    snprintf (worker->peer, sizeof worker->peer, "%s", addr);
    worker->peer_port = peer_port;
    worker->peer_key[0] = '\0';
    int port = self->port;
    uintptr_t open = (uintptr_t) zhashx_lookup (self->addresses, key);
    bool stopping = atomic_load (&self->stopping), over = limit && open >= limit;
    if (!stopping && !over) {
        //  The count is the item itself: an entry exists while it is > 0.
        zhashx_update (self->addresses, key, (void *) (open + 1));
        snprintf (worker->peer_key, sizeof worker->peer_key, "%s", key);
    }
    pthread_mutex_unlock (&self->lock);
    if (stopping)
        s_refuse (port, addr, peer_port, 503, "Node is shutting down");
    else if (over) {
        panda_log_debug ("api", "refused a connection from %s: %u open (http_max_connections_per_address)",
                         addr, (unsigned) open);
        s_refuse (port, addr, peer_port, 429,
                  "Too many connections from your address (http_max_connections_per_address)");
    }
    return !stopping && !over;
}

void
panda_api_guard_close (panda_api_guard_t *self, panda_api_worker_t *worker)
{
    pthread_mutex_lock (&self->lock);
    if (worker->peer_key[0]) {
        uintptr_t open = (uintptr_t) zhashx_lookup (self->addresses, worker->peer_key);
        if (open > 1)
            zhashx_update (self->addresses, worker->peer_key, (void *) (open - 1));
        else
            zhashx_delete (self->addresses, worker->peer_key);
    }
    worker->peer_key[0] = '\0';
    worker->watch_deadline = 0;
    pthread_mutex_unlock (&self->lock);
}

// ---------------------------------------------------------------------------
//  Deadlines on sockets

void
panda_api_guard_watch (panda_api_guard_t *self, panda_api_worker_t *worker, int64_t deadline, int how)
{
    pthread_mutex_lock (&self->lock);
    worker->watch_deadline = deadline;
    worker->watch_how = how;
    worker->watch_fired = false;
    //  Only a deadline earlier than the watchdog's next look wakes it.
    if (deadline && deadline < self->wake_at)
        pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
}

//  s_each_fn: shut down a connection whose worker has a shut_how (the lock
//  is held, so the connection is still the worker's).
static bool
s_shut_marked (void *ctx, int fd)
{
    panda_api_guard_t *self = ctx;
    char peer[INET6_ADDRSTRLEN];
    int peer_port;
    if (!s_peer_of (fd, peer, sizeof peer, &peer_port))
        return false;
    for (size_t i = 0; i < self->worker_count; i++) {
        panda_api_worker_t *worker = self->workers[i];
        if (worker->shut_how >= 0 && worker->peer_port == peer_port && strcmp (worker->peer, peer) == 0) {
            shutdown (fd, worker->shut_how);
            break;
        }
    }
    return false;
}

//  Shut down the sockets that are due, all in one pass over the
//  descriptors; returns when the next deadline is due.
static int64_t
s_fire (panda_api_guard_t *self, int64_t now)
{
    bool stopping = atomic_load (&self->stopping), any = false;
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < self->worker_count; i++) {
        panda_api_worker_t *worker = self->workers[i];
        worker->shut_how = -1;
        if (!worker->watch_deadline || worker->watch_fired)
            continue;
        //  A stop cuts body reads at once; answers still go out.
        if (worker->watch_deadline <= now || (stopping && worker->watch_how == SHUT_RD)) {
            worker->watch_fired = any = true;
            worker->shut_how = worker->watch_how;
        } else if (worker->watch_deadline < next)
            next = worker->watch_deadline;
    }
    if (any)
        s_each_socket (self->port, s_shut_marked, self);
    return next;
}

static void *
s_watchdog (void *arg)
{
    panda_api_guard_t *self = arg;
    panda_actor_set_name ("api-watchdog");
    pthread_mutex_lock (&self->lock);
    while (!self->quit) {
        self->wake_at = s_fire (self, zclock_mono ());
        if (self->wake_at == INT64_MAX)
            pthread_cond_wait (&self->wake, &self->lock);
        else {
            struct timespec at = {(time_t) (self->wake_at / 1000), (long) (self->wake_at % 1000) * 1000000};
            pthread_cond_timedwait (&self->wake, &self->lock, &at);
        }
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

// ---------------------------------------------------------------------------
//  Body memory

bool
panda_api_guard_reserve (panda_api_guard_t *self, size_t bytes)
{
    size_t max = self->config->http_max_body_memory_bytes;
    size_t used = atomic_load (&self->body_bytes);
    do
        if (bytes > max || used > max - bytes)
            return false;
    while (!atomic_compare_exchange_weak (&self->body_bytes, &used, used + bytes));
    return true;
}

void
panda_api_guard_release (panda_api_guard_t *self, size_t bytes)
{
    atomic_fetch_sub (&self->body_bytes, bytes);
}

// ---------------------------------------------------------------------------
//  Stop

void
panda_api_guard_enter (panda_api_guard_t *self)
{
    atomic_fetch_add (&self->active, 1);
}

void
panda_api_guard_leave (panda_api_guard_t *self)
{
    if (atomic_fetch_sub (&self->active, 1) == 1 && atomic_load (&self->stopping)) {
        pthread_mutex_lock (&self->lock);
        pthread_cond_broadcast (&self->idle);
        pthread_mutex_unlock (&self->lock);
    }
}

bool
panda_api_guard_stopping (const panda_api_guard_t *self)
{
    return atomic_load (&self->stopping);
}

//  s_each_fn, at a stop: shut down the listener, and the connections that
//  are counted (marked, so still open). civetweb would notice its stop only
//  at its next poll, up to 2 s later, on each of them: an idle keep-alive
//  connection, a head still coming, its accept loop.
static bool
s_shut_down (void *ctx, int fd)
{
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening)
        shutdown (fd, SHUT_RD); //  its accept loop spins until mg_stop
    else
        s_shut_marked (ctx, fd);
    return false;
}

void
panda_api_guard_stop (panda_api_guard_t *self, int drain_ms)
{
    int64_t until = zclock_mono () + drain_ms;
    pthread_mutex_lock (&self->lock);
    atomic_store (&self->stopping, true);
    pthread_cond_signal (&self->wake);
    while (atomic_load (&self->active) > 0 && zclock_mono () < until) {
        struct timespec at = {(time_t) (until / 1000), (long) (until % 1000) * 1000000};
        pthread_cond_timedwait (&self->idle, &self->lock, &at);
    }
    int left = atomic_load (&self->active);
    for (size_t i = 0; i < self->worker_count; i++)
        self->workers[i]->shut_how = self->workers[i]->peer_key[0] ? SHUT_RDWR : -1;
    s_each_socket (self->port, s_shut_down, self);
    pthread_mutex_unlock (&self->lock);
    if (left)
        panda_log_warn ("api", "%d request(s) still running after %d ms; their connections are shut down",
                        left, drain_ms);
}
