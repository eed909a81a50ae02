/* The one place the library starts threads: a parallel loop over chunks of
 * 0..n-1 with a GEOS handle per worker (sg__parallel), a team of workers that
 * share one job (sg__threads_run), and single threads started now and
 * joined later (sg__thread_start / sg__thread_join). */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"

int sg__thread_count(int threads) {
    if (threads > 0) return threads > 256 ? 256 : threads;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)(c > 256 ? 256 : c) : 1;
}

/* ---- parallel loop ---- */
typedef struct par_job {
    const sg_ctx *ctx; /* its cancellation stops the workers' GEOS work */
    size_t n, chunk, next;
    sg_par_fn fn;
    void *user;
    pthread_mutex_t lock;
    int failed;
} par_job;

static void *par_worker(void *arg) {
    par_job *j = arg;
    sg__geos_interruptible(j->ctx);
    GEOSContextHandle_t h = GEOS_init_r();
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t b = j->next;
        int stop = !h || b >= j->n || j->failed;
        if (!h && !j->failed) j->failed = -1;
        if (!stop) j->next = b + j->chunk;
        pthread_mutex_unlock(&j->lock);
        if (stop) break;
        size_t e = b + j->chunk < j->n ? b + j->chunk : j->n;
        int r = j->fn(j->user, h, b, e);
        if (r != 0) {
            pthread_mutex_lock(&j->lock);
            if (!j->failed) j->failed = r;
            pthread_mutex_unlock(&j->lock);
        }
    }
    if (h) GEOS_finish_r(h);
    sg__geos_interruptible(NULL);
    return NULL;
}

sg_status sg__parallel(sg_ctx *ctx, size_t n, int threads, size_t chunk, sg_par_fn fn, void *user) {
    if (n == 0) return SG_OK;
    if (chunk == 0) chunk = 1;
    size_t nchunks = (n + chunk - 1) / chunk;
    int nt = sg__thread_count(threads);
    if ((size_t)nt > nchunks) nt = (int)nchunks;
    int r = 0;
    if (nt <= 1) {
        for (size_t b = 0; b < n && r == 0; b += chunk) r = fn(user, sg__geos(ctx), b, b + chunk < n ? b + chunk : n);
    } else {
        par_job job;
        memset(&job, 0, sizeof job);
        job.ctx = ctx;
        job.n = n;
        job.chunk = chunk;
        job.fn = fn;
        job.user = user;
        pthread_mutex_init(&job.lock, NULL);
        pthread_t th[256];
        int started = 0;
        for (int i = 0; i < nt; i++)
            if (pthread_create(&th[i], NULL, par_worker, &job) == 0) started++;
            else break;
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        pthread_mutex_destroy(&job.lock);
        if (started == 0)
            for (size_t b = 0; b < n && r == 0; b += chunk) r = fn(user, sg__geos(ctx), b, b + chunk < n ? b + chunk : n);
        else r = job.failed;
    }
    if (r == 0) return SG_OK;
    if (sg__cancelled(ctx)) return sg__check_cancel(ctx); /* GEOS was interrupted (sg__geos_interruptible) */
    if (r == -1) return sg__nomem(ctx);
    return sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE, "a distance computation failed in GEOS");
}

int sg__thread_start(sg_thread *t, void *(*fn)(void *), void *arg) {
    t->started = pthread_create(&t->th, NULL, fn, arg) == 0;
    return t->started ? 0 : -1;
}

void sg__thread_join(sg_thread *t) {
    if (t->started) pthread_join(t->th, NULL);
    t->started = 0;
}

int sg__threads_run(int nt, void *(*fn)(void *), void *arg) {
    pthread_t th[256];
    if (nt > 256) nt = 256;
    int started = 0;
    for (int i = 0; i < nt; i++)
        if (pthread_create(&th[i], NULL, fn, arg) == 0) started++;
        else break;
    if (started == 0) fn(arg); /* no thread could start: the caller does the work */
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    return started;
}
