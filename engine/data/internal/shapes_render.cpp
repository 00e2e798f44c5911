#include "engine/data/internal/shapes_render.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

namespace cx::engine {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Vec {
    double x, y;
};
Vec operator+(Vec a, Vec b) { return {a.x + b.x, a.y + b.y}; }
Vec operator-(Vec a, Vec b) { return {a.x - b.x, a.y - b.y}; }
Vec operator*(double s, Vec a) { return {s * a.x, s * a.y}; }
double dot(Vec a, Vec b) { return a.x * b.x + a.y * b.y; }
double length(Vec a) { return std::sqrt(dot(a, a)); }
Vec direction(double angle) { return {std::cos(angle), std::sin(angle)}; }

double segmentDistance(Vec p, Vec a, Vec b) {
    const Vec ab = b - a;
    const double t = std::clamp(dot(p - a, ab) / dot(ab, ab), 0.0, 1.0);
    return length(p - (a + t * ab));
}

// Platform-independent uniform numbers (std distributions differ between libraries).
class Rng {
public:
    explicit Rng(uint64_t seed) : m_engine(seed) {}
    double uniform(double lo, double hi) { return lo + (hi - lo) * double(m_engine() >> 11) * 0x1.0p-53; }

private:
    std::mt19937_64 m_engine;
};

using Distance = std::function<double(Vec)>;

Distance shapeDistance(int label, Vec c, double r, double angle, Rng& rng) {
    switch (label) {
        case 0:  // circle
            return [=](Vec p) { return std::abs(length(p - c) - r); };
        case 1: {  // arc
            const double span = rng.uniform(0.55, 1.2) * kPi;
            const Vec a = c + r * direction(angle), b = c + r * direction(angle + span);
            return [=](Vec p) {
                double phi = std::atan2(p.y - c.y, p.x - c.x) - angle;
                phi = std::fmod(std::fmod(phi, 2 * kPi) + 2 * kPi, 2 * kPi);
                if (phi <= span) return std::abs(length(p - c) - r);
                return std::min(length(p - a), length(p - b));
            };
        }
        case 2: {  // square outline
            Vec corners[4];
            for (int i = 0; i < 4; ++i) corners[i] = c + (r * std::sqrt(2.0)) * direction(angle + kPi / 4 + i * kPi / 2);
            return [=](Vec p) {
                double d = 1e9;
                for (int i = 0; i < 4; ++i) d = std::min(d, segmentDistance(p, corners[i], corners[(i + 1) % 4]));
                return d;
            };
        }
        case 3: {  // corner: two arms at a right angle
            const Vec u = direction(angle), v = direction(angle + kPi / 2);
            const Vec vertex = c - (0.5 * r) * (u + v);
            const Vec a = vertex + (1.6 * r) * u, b = vertex + (1.6 * r) * v;
            return [=](Vec p) { return std::min(segmentDistance(p, vertex, a), segmentDistance(p, vertex, b)); };
        }
        case 4: {  // line
            const Vec u = direction(angle);
            return [=](Vec p) { return segmentDistance(p, c - r * u, c + r * u); };
        }
        default: {  // cross
            const Vec u = direction(angle), v = direction(angle + kPi / 2);
            return [=](Vec p) {
                return std::min(segmentDistance(p, c - r * u, c + r * u), segmentDistance(p, c - r * v, c + r * v));
            };
        }
    }
}

void drawOne(float* pixels, int size, int label, Rng& rng) {
    float bg[3], fg[3];
    for (float& v : bg) v = static_cast<float>(rng.uniform(0.0, 0.3));
    const int bright = static_cast<int>(rng.uniform(0, 3));
    for (int ch = 0; ch < 3; ++ch) fg[ch] = static_cast<float>(ch == bright ? rng.uniform(0.8, 1.0) : rng.uniform(0.2, 1.0));
    const double r = rng.uniform(0.16, 0.36) * size;
    const double margin = r + 3;
    const Vec c{rng.uniform(margin, size - margin), rng.uniform(margin, size - margin)};
    const double angle = rng.uniform(0, 2 * kPi);
    const double halfWidth = rng.uniform(0.8, 1.8);
    const Distance distance = shapeDistance(label, c, r, angle, rng);
    const double noise = rng.uniform(0.02, 0.1);
    const size_t plane = static_cast<size_t>(size) * size;
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const double alpha = std::clamp(halfWidth + 0.5 - distance({x + 0.5, y + 0.5}), 0.0, 1.0);
            for (int ch = 0; ch < 3; ++ch) {
                const double v = bg[ch] * (1 - alpha) + fg[ch] * alpha + rng.uniform(-noise, noise);
                pixels[ch * plane + static_cast<size_t>(y) * size + x] = static_cast<float>(std::clamp(v, 0.0, 1.0));
            }
        }
}

}  // namespace

const std::vector<std::string>& shapeClassNames() {
    static const std::vector<std::string> names = {"circle", "arc", "square", "corner", "line", "cross"};
    return names;
}

ImageSet generateShapes(const ShapesOptions& options) {
    const int64_t classes = static_cast<int64_t>(shapeClassNames().size());
    ImageSet set;
    set.images = torch::empty({options.count, 3, options.size, options.size}, torch::kFloat32);
    set.labels = torch::empty({options.count}, torch::kInt64);
    Rng rng(options.seed);
    float* base = set.images.data_ptr<float>();
    const size_t stride = static_cast<size_t>(3) * options.size * options.size;
    for (int64_t i = 0; i < options.count; ++i) {
        const int label = static_cast<int>(i % classes);
        set.labels[i] = label;
        drawOne(base + static_cast<size_t>(i) * stride, options.size, label, rng);
    }
    set.info.source = "shapes(seed=" + std::to_string(options.seed) + ")";
    set.info.count = options.count;
    set.info.channels = 3;
    set.info.height = set.info.width = options.size;
    set.info.classNames = shapeClassNames();
    return set;
}

}  // namespace cx::engine
