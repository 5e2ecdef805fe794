#include "TemporaryFiles.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// A handful of outputs are open at once (train: model, report, HTML report); 32 leaves room.
#define SLOT_COUNT 32
#define PATH_CAPACITY 4096

// A slot is claimed (FREE → WRITING) before its path is copied and published (→ LIVE) after.
// The handlers take LIVE slots (→ REMOVING), so a path is never rewritten while being unlinked.
enum { FREE = 0, WRITING = 1, LIVE = 2, REMOVING = 3 };

static char paths[SLOT_COUNT][PATH_CAPACITY];
static int states[SLOT_COUNT];

int hogwild_temporary_register(const char *path) {
    size_t length = strlen(path);
    if (length >= PATH_CAPACITY) return -1;
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        int expected = FREE;
        if (__atomic_compare_exchange_n(&states[slot], &expected, WRITING, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            memcpy(paths[slot], path, length + 1);
            __atomic_store_n(&states[slot], LIVE, __ATOMIC_RELEASE);
            return slot;
        }
    }
    return -1;
}

void hogwild_temporary_unregister(int slot) {
    if (slot < 0 || slot >= SLOT_COUNT) return;
    // Fails only when a handler already took the slot; it then exits the process.
    int expected = LIVE;
    __atomic_compare_exchange_n(&states[slot], &expected, FREE, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

void hogwild_temporary_remove_all(void) {
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        int expected = LIVE;
        if (__atomic_compare_exchange_n(&states[slot], &expected, REMOVING, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            unlink(paths[slot]);
        }
    }
}

static void remove_and_exit(int signal_number) {
    hogwild_temporary_remove_all();
    _exit(128 + signal_number);
}

static void at_exit(void) { hogwild_temporary_remove_all(); }

void hogwild_install_temporary_cleanup(void) {
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    sigset_t handled;
    sigemptyset(&handled);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction current;
        if (sigaction(signals[i], NULL, &current) != 0 || current.sa_handler == SIG_IGN) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = remove_and_exit;
        sigfillset(&action.sa_mask);
        sigaction(signals[i], &action, NULL);
        sigaddset(&handled, signals[i]);
    }
    // A process spawned from a thread that blocks signals (a libdispatch worker, say) starts with
    // them blocked; unblocked here, on the main thread, so the handlers can run.
    pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
    atexit(at_exit);
}
