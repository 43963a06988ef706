// appbench THREADS ROUNDS: an allocation-heavy multithreaded program of the ordinary kind, for
// overhead comparisons next to mallocbench's pure allocator churn. Each thread, per round,
// tokenizes log lines into strings, indexes them in a hash map of vectors, keeps an ordered
// map of the busiest keys, and throws it all away: std::string, std::vector, std::map and
// std::unordered_map doing what they do in servers, every node and buffer a malloc and a free.
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

long rounds_per_thread;

uint64_t next_random(uint64_t &s)
{
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dULL;
}

std::vector<std::string> split(const std::string &line)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < line.size()) {
        size_t end = line.find(' ', start);
        if (end == std::string::npos)
            end = line.size();
        if (end > start)
            out.emplace_back(line, start, end - start);
        start = end + 1;
    }
    return out;
}

uint64_t one_round(uint64_t &seed)
{
    static const char *const verbs[] = {"GET", "PUT", "POST", "DELETE"};
    std::unordered_map<std::string, std::vector<uint32_t>> by_user;
    uint64_t sum = 0;
    for (int i = 0; i < 400; i++) {
        uint64_t r = next_random(seed);
        std::string line = std::string(verbs[r % 4]) + " /api/v1/items/" + std::to_string(r % 5000) +
                           " user-" + std::to_string((r >> 20) % 300) + " status=" +
                           std::to_string(200 + (r >> 40) % 5) + " bytes=" + std::to_string((r >> 8) % 100000);
        std::vector<std::string> words = split(line);
        std::vector<uint32_t> &v = by_user[words[2]];
        v.push_back(static_cast<uint32_t>(words[1].size() + words[3].size()));
        sum += words.size();
    }
    std::map<size_t, std::string> busiest;
    for (const auto &kv : by_user) {
        busiest.emplace(kv.second.size() * 1000 + kv.first.size(), kv.first);
        if (busiest.size() > 20)
            busiest.erase(busiest.begin());
    }
    for (const auto &kv : busiest)
        sum += kv.first + kv.second.size();
    return sum;
}

void *worker(void *arg)
{
    uint64_t seed = reinterpret_cast<uintptr_t>(arg) * 0x9e3779b97f4a7c15ULL + 1;
    uint64_t sum = 0;
    for (long i = 0; i < rounds_per_thread; i++)
        sum += one_round(seed);
    return reinterpret_cast<void *>(static_cast<uintptr_t>(sum));
}

} // namespace

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    rounds_per_thread = argc > 2 ? atol(argv[2]) : 2000;
    if (threads < 1 || threads > 256 || rounds_per_thread < 1) {
        fprintf(stderr, "usage: appbench THREADS ROUNDS_PER_THREAD\n");
        return 2;
    }
    pthread_t t[256];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], nullptr, worker, reinterpret_cast<void *>(static_cast<uintptr_t>(i + 1)));
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += reinterpret_cast<uintptr_t>(r);
    }
    printf("%d threads x %ld rounds (checksum %llu)\n", threads, rounds_per_thread,
           static_cast<unsigned long long>(total));
    return 0;
}
