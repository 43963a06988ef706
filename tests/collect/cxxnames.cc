// cxxnames -- keeps memory allocated under C++ names that a picture must escape and a flame
// graph must colour by namespace: templates (<, >), references (&), operators and lambdas, in
// two namespaces. Prints "cxxnames: ok" after holding about 11 MiB for its exit profile.
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace store {

template <typename T> struct Shelf {
    std::vector<T> items;
    __attribute__((noinline)) void fill(const T &v, int n)
    {
        for (int i = 0; i < n; i++)
            items.push_back(v);
    }
};

struct Key {
    int id;
};

__attribute__((noinline)) bool operator<(const Key &a, const Key &b)
{
    return a.id < b.id;
}

} // namespace store

namespace index_ {

/* Never freed, as every container here: an exit profile shows what the program holds, and
 * static objects would be destroyed before it is written. */
__attribute__((noinline)) std::map<store::Key, std::string> &names()
{
    static auto *m = new std::map<store::Key, std::string>;
    return *m;
}

__attribute__((noinline)) void add_names(int n)
{
    auto put = [](int i) __attribute__((noinline)) { names()[store::Key{i}] = std::string(200, 'x'); };
    for (int i = 0; i < n; i++)
        put(i);
}

} // namespace index_

int main()
{
    auto *pairs = new store::Shelf<std::pair<int, std::string>>;
    auto *blobs = new store::Shelf<std::vector<char>>;
    pairs->fill({1, std::string(100, 'p')}, 20000);
    blobs->fill(std::vector<char>(4096), 1000);
    index_::add_names(20000);
    std::printf("cxxnames: ok\n");
    return 0;
}
