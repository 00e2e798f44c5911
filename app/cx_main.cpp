#include <iostream>
#include "engine/model.h"
using namespace cx::engine;
int main(int argc, char** argv) {
    auto m = Model::load(argv[1]);
    if (!m) { std::cerr << "error: " << m.error().message << "\n"; return 2; }
    for (auto& l : m.value()->summary().layers) {
        std::cout << l.name << " " << layerKindName(l.kind) << " " << l.inChannels << "->" << l.outChannels << " reach=" << l.reachable << "\n";
        for (auto& s : l.inputs) std::cout << "   <- " << m.value()->summary().sourceName(s.source) << " off " << s.channelOffset << " n " << s.channels << " src " << s.sourceOffset << "/" << s.sourceChannels << " " << flowModeName(s.mode) << "\n";
    }
    for (auto& n : m.value()->summary().notes) std::cout << "note: " << n << "\n";
}
