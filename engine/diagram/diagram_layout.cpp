// Graphviz side of the circuit diagram: DOT text, `dot` layout through the library, rendering.
// Graphviz keeps global state, so every call into it holds one process-wide mutex.
#include "engine/diagram/diagram_layout.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

#include "engine/diagram/diagram_colour.h"
#include "engine/diagram/diagram_pictures.h"
#include "engine/diagram/layered_layout.h"
#include "engine/io/atomic_file.h"

namespace cx::engine {
namespace {

std::mutex& graphvizMutex() {
    static std::mutex m;
    return m;
}

GVC_t* context() {  // one context for the process, created under the mutex
    static GVC_t* gvc = gvContext();
    return gvc;
}

std::string nodeName(size_t i) { return "n" + std::to_string(i); }

std::string escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// A parsed, laid-out graph that is always freed.
struct LaidOut {
    Agraph_t* graph = nullptr;
    explicit LaidOut(const std::string& dot, const char* engine = "dot") {
        graph = agmemread(dot.c_str());
        if (graph && gvLayout(context(), graph, engine) != 0) {
            agclose(graph);
            graph = nullptr;
        }
    }
    ~LaidOut() {
        if (!graph) return;
        gvFreeLayout(context(), graph);
        agclose(graph);
    }
};

std::string extensionOf(const std::string& path) {
    auto ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext.empty() ? ext : ext.substr(1);
}

// dot's crossing minimisation and network simplex grow much faster than the graph: a 1,700-edge
// circuit takes 4.6 s at full effort, 1.1 s at a fifth of it with 5% more crossings (ResNet-50,
// measured with dot -v). Past 500 edges both limits shrink with the edge count.
std::string effortLimits(const CircuitDiagram& d) {
    constexpr double kFullEffortEdges = 340.0, kLeast = 0.05;
    if (d.edges.size() <= 500) return {};
    const double limit = std::max(kLeast, kFullEffortEdges / double(d.edges.size()));
    char buf[64];
    std::snprintf(buf, sizeof buf, ", mclimit=%.3f, nslimit=%.3f", limit, limit);
    return buf;
}

// "412 units, 3021 kernels inside": what a group vertex stands for.
std::string groupSummary(const DiagramNode& n) {
    std::string text = std::to_string(n.members) + (n.members == 1 ? " unit" : " units");
    if (n.innerKernels > 0) text += ", " + std::to_string(n.innerKernels) + " kernels inside";
    return text;
}

}  // namespace

namespace {

// Node positions (and the captions') in points for Graphviz's nop2 engine, which draws a
// diagram where layeredLayout put it.
std::string positionOf(double x, double y) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f,%.1f", x, y);
    return buf;
}

void writeRankCaptions(std::ostringstream& dot, const CircuitDiagram& d, bool positioned) {
    if (!positioned) {  // one rank per layer, headed by its caption (an invisible chain keeps them in order)
        for (size_t r = 0; r < d.layers.size(); ++r) {
            dot << "  { rank=same; r" << r << " [shape=plaintext, fixedsize=false, style=\"\", fontsize=10, label=\""
                << escaped(d.layers[r]) << "\"];";
            for (size_t i = 0; i < d.nodes.size(); ++i)
                if (d.nodes[i].rank == d.layers[r]) dot << ' ' << nodeName(i) << ';';
            dot << " }\n";
            if (r > 0) dot << "  r" << r - 1 << " -> r" << r << " [style=invis];\n";
        }
        return;
    }
    std::map<std::string, std::pair<double, double>> centre;  // rank -> (x sum, count)
    double lowest = 0;
    for (const auto& n : d.nodes) {
        lowest = std::min(lowest, n.y - n.height / 2);
        if (n.kind != NodeKind::Unit) continue;
        centre[n.rank].first += n.x;
        centre[n.rank].second += 1;
    }
    for (size_t r = 0; r < d.layers.size(); ++r) {
        const auto& c = centre[d.layers[r]];
        if (c.second == 0) continue;
        dot << "  r" << r << " [shape=plaintext, fixedsize=false, style=\"\", fontsize=10, label=\"" << escaped(d.layers[r])
            << "\", pos=\"" << positionOf(c.first / c.second, lowest - 14) << "\"];\n";
    }
}

}  // namespace

std::string diagramDot(const CircuitDiagram& d, const DiagramOptions& options, const std::map<size_t, std::string>& pictures) {
    const bool positioned = d.laidOut && needsLayeredLayout(d);
    double maxSaliency = 0;
    for (const auto& e : d.edges) maxSaliency = std::max(maxSaliency, e.saliency);
    std::ostringstream dot;
    dot << "digraph circuit {\n"
        << "  graph [rankdir=" << (options.leftToRight ? "LR" : "BT")
        << ", ranksep=1.4, nodesep=0.06, outputorder=edgesfirst, bgcolor=white, fontname=\"DejaVu Sans\"" << effortLimits(d)
        << "];\n"
        << "  node [shape=circle, fixedsize=true, width=0.32, style=filled, fillcolor=\"#f4f4f4\", color=\"#4d4d4d\","
           " penwidth=0.8, fontsize=8, fontname=\"DejaVu Sans\"];\n"
        << "  edge [arrowhead=none];\n";
    if (positioned) dot << "  // laid out by Circuit Explorer's layered layout: render with neato -n2 (or -Knop2)\n";
    writeRankCaptions(dot, d, positioned);
    for (size_t i = 0; i < d.nodes.size(); ++i) {
        const auto& n = d.nodes[i];
        if (n.kind == NodeKind::Unit) {
            dot << "  " << nodeName(i) << " [label=\"" << n.unit << "\", tooltip=\"" << escaped(n.id) << "\"";
        } else {  // a block or layer drawn as one vertex, sized by its label
            dot << "  " << nodeName(i) << " [shape=box, style=\"rounded,filled\", fixedsize=false, width=0.9, height=0.4,"
                << " fillcolor=\"#e6edf7\", fontsize=9, label=\"" << escaped(n.group) << "\\n" << groupSummary(n)
                << "\", tooltip=\"" << escaped(n.id) << "\"";
        }
        if (auto picture = pictures.find(i); picture != pictures.end()) {
            // An HTML label: the picture, the unit's number under it.
            dot << ", shape=box, style=\"filled\", fillcolor=white, margin=0, width=0.62, height=0.72, label=<"
                << "<TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\"><TR><TD FIXEDSIZE=\"TRUE\" WIDTH=\"40\" HEIGHT=\"40\">"
                << "<IMG SCALE=\"TRUE\" SRC=\"" << escaped(picture->second) << "\"/></TD></TR><TR><TD>" << n.unit
                << "</TD></TR></TABLE>>";
        } else if (!n.image.empty()) {
            dot << ", shape=box, width=0.5, height=0.5";  // room for the picture
        }
        if (n.target) dot << ", fillcolor=\"#ffe08a\", penwidth=1.6";
        if (positioned) dot << ", pos=\"" << positionOf(n.x, n.y) << "\"";
        if (!d.detail.focus.empty() && n.id == d.detail.focus) dot << ", color=\"#1565c0\", penwidth=2.6";  // the focused unit
        if (n.dead) dot << ", color=\"#bdbdbd\", fontcolor=\"#9e9e9e\"";
        dot << "];\n";
    }
    for (const auto& e : d.edges) {
        const double width = maxSaliency > 0 ? 0.4 + 3.6 * e.saliency / maxSaliency : 1.0;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", width);
        dot << "  " << nodeName(e.from) << " -> " << nodeName(e.to) << " [penwidth=" << buf << ", color=\""
            << (e.dead ? std::string("#dddddd") : signColour(e.signBalance)) << "\"" << (e.dead ? ", style=dashed" : "");
        if (positioned && e.points.size() >= 8) {
            dot << ", pos=\"";
            for (size_t p = 0; p + 1 < e.points.size(); p += 2) dot << (p ? " " : "") << positionOf(e.points[p], e.points[p + 1]);
            dot << "\"";
        }
        if (d.nodes[e.from].kind != NodeKind::Unit || d.nodes[e.to].kind != NodeKind::Unit)
            dot << ", label=\"" << e.kernels << "\", fontsize=7, fontcolor=\"#666666\"";  // kernels joined
        dot << "];\n";
    }
    dot << "}\n";
    return dot.str();
}

Status layoutDiagram(CircuitDiagram& d, const DiagramOptions& options, JobContext& job) {
    if (job.cancelled()) return cancelledError();
    if (needsLayeredLayout(d)) {
        layeredLayout(d, options.leftToRight);
        return Done{};
    }
    const std::string dot = diagramDot(d, options);
    std::lock_guard<std::mutex> lock(graphvizMutex());
    LaidOut laid(dot);
    if (!laid.graph) return Error{ErrorCode::Backend, "Graphviz could not lay out the diagram"};
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < d.nodes.size(); ++i) index[nodeName(i)] = i;
    std::map<std::pair<size_t, size_t>, size_t> edgeIndex;
    for (size_t i = 0; i < d.edges.size(); ++i) edgeIndex[{d.edges[i].from, d.edges[i].to}] = i;
    const boxf box = GD_bb(laid.graph);
    d.width = box.UR.x - box.LL.x;
    d.height = box.UR.y - box.LL.y;
    for (Agnode_t* n = agfstnode(laid.graph); n; n = agnxtnode(laid.graph, n)) {
        if (!index.count(agnameof(n))) continue;  // a rank caption
        auto& node = d.nodes[index.at(agnameof(n))];
        node.x = ND_coord(n).x;
        node.y = ND_coord(n).y;
        node.width = ND_width(n) * 72.0;
        node.height = ND_height(n) * 72.0;
        for (Agedge_t* e = agfstout(laid.graph, n); e; e = agnxtout(laid.graph, e)) {
            if (!index.count(agnameof(aghead(e)))) continue;
            auto it = edgeIndex.find({index.at(agnameof(agtail(e))), index.at(agnameof(aghead(e)))});
            if (it == edgeIndex.end() || !ED_spl(e) || ED_spl(e)->size == 0) continue;
            auto& points = d.edges[it->second].points;
            points.clear();
            const bezier& b = ED_spl(e)->list[0];
            for (int p = 0; p < b.size; ++p) {
                points.push_back(b.list[p].x);
                points.push_back(b.list[p].y);
            }
        }
    }
    d.laidOut = true;
    return Done{};
}

namespace {

// A fresh temporary folder for one export's pictures, removed with everything in it.
struct PictureFolder {
    std::string path;
    explicit PictureFolder(const std::string& out) {
        if (out.empty()) return;
        static std::atomic<uint64_t> counter{0};
        path = (std::filesystem::temp_directory_path() /
                ("cx-diagram-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)))
                   .string();
    }
    ~PictureFolder() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

Status exportDiagram(const CircuitDiagram& diagram, const DiagramOptions& options, const std::string& path, double dpi) {
    // A large view keeps the layered layout's positions; Graphviz only renders it.
    CircuitDiagram positioned;
    const bool layered = needsLayeredLayout(diagram);
    if (layered && !diagram.laidOut) {
        positioned = diagram;
        layeredLayout(positioned, options.leftToRight);
    }
    const CircuitDiagram& d = layered && !diagram.laidOut ? positioned : diagram;
    const std::string ext = extensionOf(path);
    if (ext == "dot" || ext == "gv") {
        std::map<size_t, std::string> pictures;
        if (options.pictures) {  // kept beside the DOT file, which names them
            auto written = writeNodePictures(d, std::filesystem::path(path).replace_extension().string() + "_pictures");
            if (!written) return written.error();
            pictures = written.take();
        }
        return writeFileAtomic(path, diagramDot(d, options, pictures));
    }
    if (ext != "svg" && ext != "png" && ext != "pdf")
        return invalidInput("unknown diagram format '." + ext + "' (use .svg, .png, .pdf or .dot): " + path);
    if (!(dpi >= 24 && dpi <= 1200)) return invalidInput("the resolution must be 24 to 1200 dpi");
    // Pictures go to files Graphviz reads while it renders, in a folder of this export's own.
    const PictureFolder folder(options.pictures ? path : std::string());
    std::map<size_t, std::string> pictures;
    if (options.pictures) {
        auto written = writeNodePictures(d, folder.path);
        if (!written) return written.error();
        pictures = written.take();
    }
    std::string dot = diagramDot(d, options, pictures);
    if (ext == "png") {  // the resolution is a graph attribute
        char attr[48];
        std::snprintf(attr, sizeof attr, "  graph [dpi=%.0f];\n", dpi);
        dot.insert(dot.find('\n') + 1, attr);
    }
    // Rendered in memory, then written like every other output (no fixed temp name).
    auto render = renderDot(dot, ext, layered ? "nop2" : "dot");
    if (!render) return render.error();
    std::string rendered = render.take();
    if (ext == "svg" && !pictures.empty()) rendered = inlineSvgImages(rendered, pictures);
    return writeFileAtomic(path, rendered);
}

Result<std::string> renderDot(const std::string& dot, const std::string& format, const char* engine) {
    std::lock_guard<std::mutex> lock(graphvizMutex());
    LaidOut laid(dot, engine);
    if (!laid.graph) return Error{ErrorCode::Backend, "Graphviz could not lay out the graph"};
    char* data = nullptr;
    unsigned int length = 0;
    if (gvRenderData(context(), laid.graph, format.c_str(), &data, &length) != 0 || !data) {
        if (data) gvFreeRenderData(data);
        return Error{ErrorCode::Backend, "Graphviz has no '" + format + "' renderer here (install the graphviz package)"};
    }
    std::string rendered(data, length);
    gvFreeRenderData(data);
    return rendered;
}

}  // namespace cx::engine
