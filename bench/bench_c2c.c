/*
 * bench_c2c.c - where the CPUs this process may use sit relative to each
 * other, as the round-trip time of one cache line bounced between two
 * threads pinned to the first two allowed CPUs.
 *
 * Why: a two-thread inference hands activations from core to core. On
 * AMD EPYC the cores of one CCD share an L3; a line owned by a core of
 * another CCD travels over the fabric. A VM's vCPUs can move between
 * CCDs while it runs, and the engine's latency moves with them (see
 * BENCHMARKS.md). The detector benchmark prints this figure before and
 * after its runs so that each number says which placement it saw:
 * about 50-90 ns here when the two vCPUs share an L3, about 330-360 ns
 * when they do not.
 *
 * Run: build/bench_c2c [rounds]   (prints "c2c round trip N ns")
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) atomic_long flag;
static long rounds = 200000;
static int cpus[2];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *echo(void *arg)
{
    (void)arg;
    pin(cpus[1]);
    for (long i = 0; i < rounds; i++) {
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1)
            ;
        atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    cpu_set_t set;
    int n = 0;
    if (argc > 1 && (rounds = atol(argv[1])) < 1000)
        rounds = 1000;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        perror("bench_c2c: sched_getaffinity");
        return 1;
    }
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    if (n < 2) {
        printf("c2c round trip n/a (one CPU)\n");
        return 0;
    }
    pin(cpus[0]);
    pthread_t t;
    if (pthread_create(&t, NULL, echo, NULL) != 0) {
        perror("bench_c2c: pthread_create");
        return 1;
    }
    double t0 = now_s();
    for (long i = 0; i < rounds; i++) {
        atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2)
            ;
    }
    double dt = now_s() - t0;
    pthread_join(t, NULL);
    printf("c2c round trip %.0f ns (CPUs %d and %d)\n", dt / rounds * 1e9,
           cpus[0], cpus[1]);
    return 0;
}
