// The C++ plugin that tests/collect/cxxplugin.c loads with RTLD_LOCAL: operator new that fails
// must run the new-handler and throw std::bad_alloc here too, though the program is C and
// this plugin's libstdc++ is invisible to the rest of the process.
#include <cstddef>
#include <new>

static int handler_calls;

static void on_out_of_memory()
{
    handler_calls++;
    std::set_new_handler(nullptr); // the next failure throws
}

// 1 when a huge new ran the new-handler once and threw bad_alloc, 0 otherwise; and an
// ordinary new and delete work.
extern "C" int plugin_huge_new(void)
{
    int *small = new int[16];
    small[15] = 1;
    delete[] small;
    std::set_new_handler(on_out_of_memory);
    handler_calls = 0;
    try {
        volatile std::size_t huge = ~static_cast<std::size_t>(0) / 4;
        char *p = new char[huge];
        p[0] = 1;
        delete[] p;
        return 0;
    } catch (const std::bad_alloc &) {
        return handler_calls == 1;
    }
}
