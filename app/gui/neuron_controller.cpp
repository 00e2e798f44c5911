#include "app/gui/neuron_controller.h"

#include <algorithm>
#include <sstream>

#include <QDir>
#include <QFileInfo>

#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/model/model.h"
#include "engine/text/behaviour_graph.h"
#include "engine/pruning/pruning.h"
#include "engine/text/local_search.h"
#include "engine/text/neuron_circuit.h"
#include "engine/text/token_examples.h"
#include "engine/text/token_html.h"
#include "widgets/mask_list.h"
#include "widgets/neuron_panel.h"

namespace cx::app {

struct NeuronData {
    std::string layer;
    widgets::NeuronPaths paths;
    std::shared_ptr<engine::Tokenizer> tokenizer;
    engine::TokenCorpus corpus;
    engine::TokenExamplesResult examples;
};

struct MaeData {
    int64_t unit = -1;
    engine::MaeOptions options;
    std::vector<engine::MinimalExample> maes;
};

namespace {

constexpr int64_t kTopExamples = 9;
constexpr int64_t kContext = 64;

engine::Result<engine::Tokenizer> readTokenizer(const std::string& path) {
    if (path.empty()) return engine::invalidInput("no tokenizer given: the model's tokenizer.json (or BERT's vocab.txt) reads its ids");
    if (QFileInfo(QString::fromStdString(path)).suffix() == QLatin1String("txt")) return engine::Tokenizer::readVocabTxt(path, true);
    return engine::Tokenizer::readTokenizerJson(path);
}

const engine::TokenUnitExamples* examplesOf(const NeuronData& d, int64_t unit) {
    for (const auto& u : d.examples.units)
        if (u.unit == unit) return &u;
    return nullptr;
}

std::string header(const std::string& title) {
    return "<h3 style=\"margin-bottom:2px\">" + engine::htmlEscaped(title) + "</h3>";
}

// The MAEs of `unit`'s first `count` examples.
engine::Result<std::shared_ptr<const MaeData>> findMaes(engine::Workspace& ws, const NeuronData& d, int64_t unit, int count,
                                                        const engine::MaeOptions& options, engine::JobContext& job) {
    const auto* ex = examplesOf(d, unit);
    if (!ex) return engine::invalidInput("no examples of unit " + std::to_string(unit));
    auto reader = engine::NeuronReader::open(ws, nullptr, d.layer, {unit});
    if (!reader) return reader.error();
    auto out = std::make_shared<MaeData>();
    out->unit = unit;
    out->options = options;
    for (size_t i = 0; i < ex->top.size() && int(i) < count; ++i) {
        if (job.cancelled()) return engine::cancelledError();
        const auto& e = ex->top[i];
        auto mae = engine::minimalExample(reader.value(), 0, *d.tokenizer, d.corpus.windows[size_t(e.window)].ids, e.anchor, options);
        if (!mae) return mae.error();
        out->maes.push_back(mae.take());
        job.progress("minimal examples", double(i + 1) / double(std::min<size_t>(ex->top.size(), size_t(count))));
    }
    return std::shared_ptr<const MaeData>(out);
}

std::string maesHtml(const NeuronData& d, const MaeData& m) {
    std::ostringstream html;
    html.precision(3);
    html << header(d.layer + ":" + std::to_string(m.unit) + " - minimal activating examples")
         << "<p>Each top example pruned to the shortest substring whose anchor value drops by at most "
         << int(100 * m.options.maxDrop + 0.5) << "% (read as a text of its own).</p><table cellpadding=\"4\">"
         << "<tr><th align=\"left\">MAE</th><th>value</th><th>of</th><th>kept</th><th>tokens</th></tr>";
    for (const auto& e : m.maes) {
        const auto ids = e.ids();
        html << "<tr><td>" << engine::plainTokenHtml(*d.tokenizer, ids, e.anchor - e.begin) << (e.fromSentence ? "" : " <i>(not from its sentence)</i>")
             << "</td><td align=\"right\">" << std::fixed << e.value << "</td><td align=\"right\">" << e.original
             << "</td><td align=\"right\">" << int(100 * e.ratio + 0.5) << "%</td><td align=\"right\">" << ids.size() << " of "
             << e.example.size() << "</td></tr>";
    }
    html << "</table>";
    return html.str();
}

struct CircuitView {
    std::string html, maskFile, scoresFile;
    engine::PruneReport prune;
};

// The model's top examples with the circuit's value at their anchors, then the circuit's own top
// examples over the corpus coloured by the circuit's values.
engine::Result<std::string> circuitHtml(engine::Workspace& ws, const NeuronData& d, const engine::TokenUnitExamples& model,
                                        const engine::NeuronCircuit& c, double sparsity) {
    const auto& t = *d.tokenizer;
    const auto& p = c.prune;
    std::ostringstream html;
    html.precision(3);
    html << header(d.layer + ":" + std::to_string(model.unit) + " - its circuit")
         << "<p>ActGrad on its " << c.windows << " top examples (" << c.tokens << " tokens; per example the neuron's largest value), "
         << "kept " << p.kept << " of the " << p.relevant << " weights that reach it (" << 100.0 * sparsity << "%; " << p.effectiveKept
         << " on a path from the input).</p>";
    if (p.disconnected) html << "<p><b>The circuit is disconnected at this size: nothing reaches the neuron.</b></p>";
    html << "<table cellpadding=\"3\"><tr><th align=\"left\">the model's top examples</th><th>model</th><th>circuit</th><th>kept</th></tr>";
    double sumModel = 0.0, sumCircuit = 0.0;
    for (size_t i = 0; i < model.top.size(); ++i) {
        const auto& e = model.top[i];
        const auto& ids = d.corpus.windows[size_t(e.window)].ids;
        const int64_t from = std::max<int64_t>(0, e.anchor - 10), to = std::min<int64_t>(int64_t(ids.size()), e.anchor + 3);
        const std::vector<int64_t> shown(ids.begin() + from, ids.begin() + to);
        const double value = c.onModelExamples[i];
        sumModel += std::abs(e.value);
        sumCircuit += std::abs(value - e.value);
        html << "<tr><td>" << (from > 0 ? "... " : "") << engine::plainTokenHtml(t, shown, e.anchor - from) << (to < int64_t(ids.size()) ? " ..." : "")
             << "</td><td align=\"right\">" << std::fixed << e.value << "</td><td align=\"right\">" << value << "</td><td align=\"right\">"
             << (e.value != 0.0 ? std::to_string(int(std::lround(100.0 * value / e.value))) + "%" : "-") << "</td></tr>";
    }
    html << "</table><p>&Delta;f-norm on these examples: " << (sumModel > 0.0 ? sumCircuit / sumModel : 0.0) << ".</p>";
    if (!c.circuitTop.top.empty()) {
        int shared = 0;
        for (const auto& e : c.circuitTop.top)
            for (const auto& m : model.top) shared += m.window == e.window;
        html << header("its top examples in the circuit") << "<p>" << shared << " of " << c.circuitTop.top.size()
             << " are the model's too. Tokens coloured by the circuit's values.</p>";
        auto reader = engine::NeuronReader::open(ws, c.mask, d.layer, {model.unit});
        if (!reader) return reader.error();
        const double scale = std::max(std::abs(c.circuitTop.top.front().value), 1e-12);
        for (const auto& e : c.circuitTop.top) {
            const auto& ids = d.corpus.windows[size_t(e.window)].ids;
            auto values = reader.value().unitValues({ids}, 0);
            if (!values) return values.error();
            html << "<p><b>" << e.value << "</b>&nbsp;&nbsp;" << engine::tokenHtml(t, ids, values.value()[0], e.anchor, scale) << "</p>";
        }
    }
    return html.str();
}

struct SearchView {
    std::shared_ptr<const MaeData> maes;
    std::string html, svg;
};

std::string searchHtml(const NeuronData& d, const std::vector<engine::LocalSearchResult>& searches, int64_t unit,
                       const engine::LocalSearchOptions& o) {
    const auto& t = *d.tokenizer;
    std::ostringstream html;
    html << header(d.layer + ":" + std::to_string(unit) + " - local search") << "<p>Positive: the value dropped by less than "
         << int(100 * o.positive + 0.5) << "%; negative: by more than " << int(100 * o.negative + 0.5)
         << "% (each word but stop words replaced by the masked model's top " << o.topN << ").</p>";
    for (size_t i = 0; i < searches.size(); ++i) {
        const auto& s = searches[i];
        html << "<p><b>MAE " << i + 1 << "</b>: " << engine::plainTokenHtml(t, s.ids, s.anchor) << " (" << s.value << ")</p>";
        for (const auto kind : {engine::SubstituteKind::Positive, engine::SubstituteKind::Negative}) {
            html << "<table cellpadding=\"3\"><tr><th align=\"left\">" << engine::substituteKindName(kind)
                 << "s</th><th>value</th><th>drop</th></tr>";
            int rows = 0;
            for (const auto& sub : s.substitutes)
                if (sub.kind == kind) {
                    html << "<tr><td>" << engine::plainTokenHtml(t, sub.ids, s.anchor) << "</td><td align=\"right\">" << sub.value
                         << "</td><td align=\"right\">" << int(100 * sub.drop + 0.5) << "%</td></tr>";
                    ++rows;
                }
            if (!rows) html << "<tr><td><i>none</i></td></tr>";
            html << "</table>";
        }
    }
    return html.str();
}

}  // namespace

NeuronController::NeuronController(Session& session, JobRunner& jobs, widgets::NeuronPanel* panel, widgets::MaskList* masks,
                                   QObject* parent)
    : Controller(session, jobs, parent), m_panel(panel), m_masks(masks) {
    connect(panel, &widgets::NeuronPanel::rankRequested, this, &NeuronController::rank);
    connect(panel, &widgets::NeuronPanel::neuronSelected, this, &NeuronController::showNeuron);
    connect(panel, &widgets::NeuronPanel::minimalExamplesRequested, this, &NeuronController::minimalExamples);
    connect(panel, &widgets::NeuronPanel::searchRequested, this, &NeuronController::search);
    connect(panel, &widgets::NeuronPanel::circuitRequested, this, &NeuronController::findCircuit);
    connect(panel, &widgets::NeuronPanel::showCircuitRequested, this, [this] {
        if (!m_circuitMask.isEmpty()) Q_EMIT showCircuitRequested(m_circuitMask);
    });
}

void NeuronController::modelOpened() {
    m_data.reset();
    m_maes.reset();
    m_circuitMask.clear();
    m_panel->setNeurons({});
    if (!m_session.isOpen()) {
        m_panel->setLayers({}, {});
        m_panel->setCaption(tr("Open a language model (a TorchScript model of token ids) with its tokenizer to read its neurons."));
        return;
    }
    QStringList layers;
    QString preferred;
    for (const auto& l : m_session.model()->summary().layers)
        if (l.kind == engine::LayerKind::Linear || l.kind == engine::LayerKind::TransposedLinear) {
            const QString name = QString::fromStdString(l.name);
            layers << name;
            if (name.endsWith(QLatin1String("mlp.fc")) || name.endsWith(QLatin1String("c_fc"))) preferred = name;  // the last MLP
        }
    const QFileInfo model(m_session.modelPath());
    const QDir dir = model.absoluteDir();
    widgets::NeuronPaths paths;
    if (dir.exists(QStringLiteral("tokenizer.json"))) paths.tokenizer = dir.filePath(QStringLiteral("tokenizer.json"));
    for (const QString& f : dir.entryList({QStringLiteral("*mlm*.pt")}, QDir::Files))
        if (dir.filePath(f) != model.absoluteFilePath()) paths.mlm = dir.filePath(f);
    if (QFileInfo::exists(QString::fromStdString(engine::demoCorpusPath()))) paths.corpus = QString::fromStdString(engine::demoCorpusPath());
    m_panel->setLayers(layers, preferred);
    m_panel->setPaths(paths);
    m_panel->setCaption(paths.tokenizer.isEmpty()
                            ? tr("No tokenizer.json beside this model: give its tokenizer to read its neurons as a language model's.")
                            : tr("Press Rank neurons: every neuron of the layer is ranked over the corpus in one pass."));
}

void NeuronController::rank() {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a language model before ranking its neurons."));
    const auto paths = m_panel->paths();
    const std::string layer = m_panel->layer().toStdString();
    if (layer.empty()) return Q_EMIT errorRaised(tr("No layer"), tr("The model has no linear layer whose units could be read."));
    if (paths.corpus.isEmpty()) return Q_EMIT errorRaised(tr("No corpus"), tr("Give a corpus: a text file or a folder of them."));
    m_panel->setBusy(true);
    m_jobs.start<std::shared_ptr<const NeuronData>>(
        QStringLiteral("neurons"), tr("Rank the neurons of %1").arg(m_panel->layer()), tr("Cannot rank the neurons"),
        [ws = m_session.workspace(), paths, layer](engine::JobContext& job) -> engine::Result<std::shared_ptr<const NeuronData>> {
            auto tokenizer = readTokenizer(paths.tokenizer.toStdString());
            if (!tokenizer) return tokenizer.error();
            auto text = engine::readTextCorpus(paths.corpus.toStdString());
            if (!text) return text.error();
            auto data = std::make_shared<NeuronData>();
            data->layer = layer;
            data->paths = paths;
            data->tokenizer = std::make_shared<engine::Tokenizer>(tokenizer.take());
            auto corpus = engine::windowCorpus(text.value(), *data->tokenizer, kContext);
            if (!corpus) return corpus.error();
            data->corpus = corpus.take();
            auto examples = engine::topTokenExamples(*ws, nullptr, data->corpus, layer, {}, kTopExamples, job);
            if (!examples) return examples.error();
            data->examples = examples.take();
            return std::shared_ptr<const NeuronData>(data);
        },
        [this](std::shared_ptr<const NeuronData>& data) -> QString {
            m_panel->setBusy(false);
            m_data = data;
            m_maes.reset();
            std::vector<widgets::NeuronRow> rows;
            for (const auto& u : data->examples.units) {
                if (u.top.empty()) continue;
                const auto& e = u.top.front();
                rows.push_back({u.unit, e.value,
                                QString::fromStdString(data->tokenizer->decode({data->corpus.windows[size_t(e.window)].ids[size_t(e.anchor)]}))});
            }
            std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.top > b.top; });
            m_panel->setCaption(tr("%1 neurons of %2 ranked over %3 tokens (%4 windows) in %5 s, all in one pass. Pick one to see its "
                                   "top examples; then prune them to minimal examples and search around them.")
                                    .arg(rows.size())
                                    .arg(QString::fromStdString(data->layer))
                                    .arg(data->examples.tokens)
                                    .arg(data->corpus.windows.size())
                                    .arg(data->examples.seconds, 0, 'f', 1));
            m_panel->setNeurons(rows);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

void NeuronController::showNeuron(int64_t unit) {
    if (!m_data || !m_session.isOpen()) return;
    m_panel->setMinimalExamples({});
    m_panel->setSearch({}, {});
    m_panel->setCircuit({}, false);
    m_jobs.start<std::string>(
        QStringLiteral("neuron-examples"), tr("Examples of %1:%2").arg(QString::fromStdString(m_data->layer)).arg(unit),
        tr("Cannot show the neuron's examples"),
        [ws = m_session.workspace(), data = m_data, unit](engine::JobContext&) -> engine::Result<std::string> {
            const auto* ex = examplesOf(*data, unit);
            if (!ex) return engine::invalidInput("no examples of unit " + std::to_string(unit));
            auto reader = engine::NeuronReader::open(*ws, nullptr, data->layer, {unit});
            if (!reader) return reader.error();
            std::ostringstream html;
            html << header(data->layer + ":" + std::to_string(unit) + " - top examples")
                 << "<p>Every token coloured by the neuron's value (orange up to its best, blue below zero); the anchor underlined.</p>";
            const double scale = ex->top.empty() ? 1.0 : ex->top.front().value;
            for (const auto& e : ex->top) {
                const auto& ids = data->corpus.windows[size_t(e.window)].ids;
                auto values = reader.value().unitValues({ids}, 0);
                if (!values) return values.error();
                char value[32];
                std::snprintf(value, sizeof value, "%.3f", e.value);
                html << "<p><b>" << value << "</b>&nbsp;&nbsp;" << engine::tokenHtml(*data->tokenizer, ids, values.value()[0], e.anchor, scale)
                     << "</p>";
            }
            return html.str();
        },
        [this](std::string& html) -> QString {
            m_panel->setExamples(QString::fromStdString(html));
            m_panel->showPage(0);
            return {};
        });
}

void NeuronController::minimalExamples() {
    const int64_t unit = m_panel->selectedNeuron();
    if (!m_data || unit < 0) return Q_EMIT errorRaised(tr("No neuron"), tr("Rank the neurons and pick one first."));
    const auto s = m_panel->settings();
    const engine::MaeOptions options{s.keep, s.window};
    m_panel->setBusy(true);
    m_jobs.start<std::shared_ptr<const MaeData>>(
        QStringLiteral("neuron-mae"), tr("Minimal examples of %1:%2").arg(QString::fromStdString(m_data->layer)).arg(unit),
        tr("Cannot find the minimal examples"),
        [ws = m_session.workspace(), data = m_data, unit, count = s.examples, options](engine::JobContext& job) {
            return findMaes(*ws, *data, unit, count, options, job);
        },
        [this](std::shared_ptr<const MaeData>& maes) -> QString {
            m_panel->setBusy(false);
            m_maes = maes;
            m_panel->setMinimalExamples(QString::fromStdString(maesHtml(*m_data, *maes)));
            m_panel->showPage(1);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

void NeuronController::search() {
    const int64_t unit = m_panel->selectedNeuron();
    if (!m_data || unit < 0) return Q_EMIT errorRaised(tr("No neuron"), tr("Rank the neurons and pick one first."));
    const auto s = m_panel->settings();
    const std::string mlmPath = m_panel->paths().mlm.toStdString();
    if (mlmPath.empty()) return Q_EMIT errorRaised(tr("No masked model"), tr("Give a masked language model that reads the same tokenizer."));
    const engine::MaeOptions options{s.keep, s.window};
    const engine::LocalSearchOptions searchOptions{s.positive, s.negative, s.topN};
    // The MAEs shown are reused when they are this neuron's at these settings.
    std::shared_ptr<const MaeData> known;
    if (m_maes && m_maes->unit == unit && m_maes->options.maxDrop == options.maxDrop && m_maes->options.window == options.window &&
        int(m_maes->maes.size()) <= s.examples)
        known = m_maes;
    m_panel->setBusy(true);
    m_jobs.start<SearchView>(
        QStringLiteral("neuron-search"), tr("Local search around %1:%2").arg(QString::fromStdString(m_data->layer)).arg(unit),
        tr("Cannot run the local search"),
        [ws = m_session.workspace(), data = m_data, unit, count = s.examples, options, searchOptions, mlmPath,
         known](engine::JobContext& job) -> engine::Result<SearchView> {
            SearchView view;
            view.maes = known;
            if (!view.maes) {
                auto found = findMaes(*ws, *data, unit, count, options, job);
                if (!found) return found.error();
                view.maes = found.take();
            }
            auto mlm = engine::MaskedLanguageModel::load(mlmPath, *data->tokenizer);
            if (!mlm) return mlm.error();
            auto reader = engine::NeuronReader::open(*ws, nullptr, data->layer, {unit});
            if (!reader) return reader.error();
            std::vector<engine::LocalSearchResult> searches;
            for (const auto& m : view.maes->maes) {
                auto r = engine::localSearch(reader.value(), 0, mlm.value(), *data->tokenizer, m, searchOptions, job);
                if (!r) return r.error();
                searches.push_back(r.take());
            }
            view.html = searchHtml(*data, searches, unit, searchOptions);
            const auto graph = engine::buildBehaviourGraph(data->layer + ":" + std::to_string(unit), *data->tokenizer, searches);
            auto svg = engine::renderDot(engine::behaviourDot(graph), "svg");
            if (!svg) return svg.error();
            view.svg = svg.take();
            return view;
        },
        [this](SearchView& v) -> QString {
            m_panel->setBusy(false);
            m_maes = v.maes;
            m_panel->setMinimalExamples(QString::fromStdString(maesHtml(*m_data, *v.maes)));
            m_panel->setSearch(QString::fromStdString(v.html), QByteArray::fromStdString(v.svg));
            m_panel->showPage(2);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

void NeuronController::findCircuit() {
    const int64_t unit = m_panel->selectedNeuron();
    if (!m_data || unit < 0 || !m_session.isOpen()) return Q_EMIT errorRaised(tr("No neuron"), tr("Rank the neurons and pick one first."));
    const auto* examples = examplesOf(*m_data, unit);
    if (!examples || examples->top.empty()) return Q_EMIT errorRaised(tr("No examples"), tr("The neuron has no examples to prune on."));
    engine::NeuronCircuitSpec spec;
    spec.layer = m_data->layer;
    spec.unit = unit;
    spec.sparsity = m_panel->settings().circuitSparsity;
    const std::string maskFile = m_session.newFile(QStringLiteral("neuron_mask"), QStringLiteral("safetensors")).toStdString();
    const std::string scoresFile = m_session.newFile(QStringLiteral("neuron_scores"), QStringLiteral("safetensors")).toStdString();
    m_panel->setBusy(true);
    m_jobs.start<CircuitView>(
        QStringLiteral("neuron-circuit"), tr("Circuit of %1:%2").arg(QString::fromStdString(m_data->layer)).arg(unit),
        tr("Cannot find the neuron's circuit"),
        [ws = m_session.workspace(), data = m_data, top = *examples, spec, maskFile, scoresFile](engine::JobContext& job) -> engine::Result<CircuitView> {
            auto circuit = engine::neuronCircuit(*ws, data->corpus, top, spec, job);
            if (!circuit) return circuit.error();
            CircuitView view;
            auto html = circuitHtml(*ws, *data, top, circuit.value(), spec.sparsity);
            if (!html) return html.error();
            view.html = html.take();
            if (auto st = engine::writeScores(*ws, *circuit.value().scores, scoresFile); !st) return st.error();
            if (auto st = engine::writeMask(*ws, *circuit.value().mask, maskFile); !st) return st.error();
            view.maskFile = maskFile;
            view.scoresFile = scoresFile;
            view.prune = circuit.value().prune;
            return view;
        },
        [this, unit, sparsity = spec.sparsity](CircuitView& v) -> QString {
            m_panel->setBusy(false);
            m_circuitMask = QString::fromStdString(v.maskFile);
            m_panel->setCircuit(QString::fromStdString(v.html), true);
            m_panel->showPage(4);
            const QString name = QStringLiteral("%1:%2").arg(QString::fromStdString(m_data->layer)).arg(unit);
            m_masks->addMask({tr("%1 on its examples %2% kept").arg(name).arg(100.0 * sparsity, 0, 'g', 3), m_circuitMask,
                              QStringLiteral("circuit"), tr("%1 weights (ActGrad, the neuron's top examples)").arg(v.prune.kept),
                              QString::fromStdString(v.scoresFile)});
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

}  // namespace cx::app
