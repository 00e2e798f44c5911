// libFuzzer: the command-line parser on any argument list (NUL-separated), with the number
// readers every command uses.
#include <cstdint>
#include <string>
#include <vector>

#include "app/cli/args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> argv;
    std::string current;
    for (size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            argv.push_back(current);
            current.clear();
        } else {
            current += char(data[i]);
        }
    }
    argv.push_back(current);
    const cx::app::Args args(argv, {"out", "lr", "epochs", "sparsity"}, {"json", "help"});
    std::string error;
    (void)args.integer("epochs", 1, error);
    (void)args.real("lr", 0.1, error);
    (void)args.real("sparsity", 0.5, error);
    (void)args.value("out", "x");
    return 0;
}
