// newdelete THREADS ROUNDS -- C++ allocation under the collector: new/delete, new[]/delete[],
// over-aligned new, nothrow new, sized delete, and the containers (string, vector, map,
// unordered_map) from THREADS threads; objects made in one thread are destroyed in another.
// Prints a checksum that must not depend on the collector, and exits 1 on a wrong value.
// newdelete oom -- new that cannot be satisfied, huge and (under an address-space limit)
// small: the new-handler must run once and std::bad_alloc arrive. Prints "newdelete: oom ok".
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <malloc.h>
#include <new>
#include <sys/resource.h>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

struct alignas(128) Wide {
    uint64_t v[20];
};

struct Handoff {
    std::mutex mu;
    std::vector<std::unique_ptr<std::string>> items;
};

std::atomic<uint64_t> total{0};
std::atomic<long> errors{0};

uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29);
}

void work(int self, int rounds, std::vector<Handoff> &boxes)
{
    uint64_t sum = 0;
    uint64_t seed = 77 + static_cast<uint64_t>(self);
    for (int r = 0; r < rounds; r++) {
        seed = mix(seed + static_cast<uint64_t>(r));
        std::map<int, std::string> m;
        std::unordered_map<std::string, int> u;
        std::vector<int> v;
        for (int i = 0; i < 50; i++) {
            std::string key = "k" + std::to_string((seed >> (i % 40)) % 1000) + std::string(i % 7, 'x');
            m[i] = key;
            u[key] += i;
            v.push_back(i * 3);
        }
        for (auto &kv : m)
            sum += kv.second.size() + static_cast<uint64_t>(u[kv.second]);
        for (int x : v)
            sum += static_cast<uint64_t>(x);

        int *arr = new int[100 + r % 50];
        for (int i = 0; i < 100; i++)
            arr[i] = i;
        sum += static_cast<uint64_t>(arr[99]);
        delete[] arr;

        Wide *w = new Wide;
        if (reinterpret_cast<uintptr_t>(w) % alignof(Wide) != 0)
            errors++;
        w->v[19] = seed;
        sum += w->v[19] & 0xffff;
        delete w;

        double *d = new (std::nothrow) double[1000];
        if (!d)
            errors++;
        else
            d[999] = 1.5, sum += static_cast<uint64_t>(d[999] * 2), delete[] d;

        // Sized delete of a plain object.
        auto *pair = new std::pair<uint64_t, uint64_t>(seed, r);
        sum += pair->second;
        ::operator delete(pair, sizeof *pair);

        // A big buffer now and then, so the default rate samples something.
        if (r % 20 == 0) {
            std::vector<char> big(1 << 20, static_cast<char>(r));
            sum += static_cast<unsigned char>(big[12345]);
        }

        // Hand a string to the next thread; destroy whatever this thread was handed.
        {
            Handoff &to = boxes[(self + 1) % boxes.size()];
            std::lock_guard<std::mutex> g(to.mu);
            to.items.push_back(std::make_unique<std::string>(std::string(64 + r % 200, 'a' + self % 26)));
        }
        std::vector<std::unique_ptr<std::string>> got;
        {
            Handoff &mine = boxes[self];
            std::lock_guard<std::mutex> g(mine.mu);
            got.swap(mine.items);
        }
        for (auto &s : got)
            total += s->size(); // freed here, made by another thread
    }
    total += sum;
}

int handler_calls;

void on_no_memory()
{
    handler_calls++;
    std::set_new_handler(nullptr); // the next failure throws
}

// One failing allocation through `make`: the handler must run once, then bad_alloc arrive.
template <typename F> void expect_bad_alloc(const char *what, F make)
{
    handler_calls = 0;
    std::set_new_handler(on_no_memory);
    try {
        void *volatile p = make();
        std::printf("newdelete: %s succeeded\n", what);
        errors++;
        (void)p;
    } catch (const std::bad_alloc &) {
        if (handler_calls != 1) {
            std::printf("newdelete: %s: new-handler ran %d times\n", what, handler_calls);
            errors++;
        }
    }
    std::set_new_handler(nullptr);
}

// Small requests fail only when the address space is full: in a fresh process, with glibc
// mmapping every request from 64 KiB on, a limit just above what the process maps makes a
// 300 KB new (below the sampling rate) fail.
void failing_news()
{
    mallopt(M_MMAP_THRESHOLD, 64 << 10);
    volatile size_t huge = SIZE_MAX / 4, small = 300000;
    expect_bad_alloc("new of SIZE_MAX/4 bytes", [&] { return ::operator new(huge); });
    expect_bad_alloc("new[] of SIZE_MAX/4 bytes", [&] { return static_cast<void *>(new char[huge]); });
    struct rlimit old;
    if (getrlimit(RLIMIT_AS, &old) != 0)
        return;
    FILE *f = std::fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f || std::fscanf(f, "%lu", &pages) != 1) {
        if (f)
            std::fclose(f);
        return;
    }
    std::fclose(f);
    struct rlimit tight = old;
    tight.rlim_cur = pages * 4096 + (64 << 10);
    if (setrlimit(RLIMIT_AS, &tight) == 0) {
        expect_bad_alloc("new of 300 KB at the address-space limit", [&] { return ::operator new(small); });
        setrlimit(RLIMIT_AS, &old);
    }
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1 && std::string(argv[1]) == "oom") {
        failing_news();
        std::printf("newdelete: oom %s\n", errors.load() ? "failed" : "ok");
        return errors.load() ? 1 : 0;
    }
    int nthreads = argc > 1 ? std::atoi(argv[1]) : 16;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 2000;
    std::vector<Handoff> boxes(static_cast<size_t>(nthreads));
    std::vector<std::thread> ts;
    for (int i = 0; i < nthreads; i++)
        ts.emplace_back(work, i, rounds, std::ref(boxes));
    for (auto &t : ts)
        t.join();
    for (auto &b : boxes)
        for (auto &s : b.items)
            total += s->size();
    std::printf("newdelete: checksum %llu, %ld errors\n", static_cast<unsigned long long>(total.load()),
                errors.load());
    return errors.load() ? 1 : 0;
}
