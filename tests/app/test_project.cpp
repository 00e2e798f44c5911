// Project files: a session saved to .cxproj and reopened in a new window comes back whole
// (model, settings, named masks byte for byte, curves, the diagram shown, reusable scores),
// and bad projects are refused with a message that names the problem.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTableWidget>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include "app/gui/circuit_controller.h"
#include "app/gui/data_controller.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "app/gui/masks_controller.h"
#include "app/gui/population_controller.h"
#include "app/gui/project_controller.h"
#include "app/gui/project_file.h"
#include "app/gui/session.h"
#include "engine/model/model.h"
#include "engine/model/workspace.h"
#include "engine/pruning/pruning.h"
#include "wait.h"
#include "widgets/circuit_panel.h"
#include "widgets/curve_view.h"
#include "widgets/diagram_view.h"
#include "widgets/mask_list.h"
#include "widgets/overlap_view.h"
#include "widgets/population_view.h"
#include "widgets/training_panel.h"

using cx::app::MainWindow;

namespace {

QString testModel(const char* name) { return QStringLiteral(CX_TEST_DATA "/models/%1.pt").arg(name); }

QByteArray contents(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void idle(MainWindow& w) { ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr && w.jobs()->activeCount() == 0; })); }

void openChain(MainWindow& w) {  // the small test model, errors read from lastError()
    w.setShowErrorDialogs(false);
    w.openModel(testModel("chain"));
    idle(w);
}

// A filter circuit of the chain's features.3:1 by magnitude, half kept; what it was found with.
cx::widgets::CircuitSettings findMagnitudeCircuit(MainWindow& w) {
    auto settings = w.circuitPanel()->settings();
    settings.target = QStringLiteral("features.3:1");
    settings.criterion = cx::engine::Criterion::Magnitude;
    settings.granularity = cx::engine::Granularity::Filter;
    settings.sparsity = 0.5;
    w.circuits()->findCircuit(settings);
    idle(w);
    return settings;
}

}  // namespace

TEST(Project, SavedSessionReopensWhole) {
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("study.cxproj"));
    MainWindow w;
    openChain(w);
    auto settings = w.circuitPanel()->settings();
    settings.target = QStringLiteral("features.3:1");
    settings.criterion = cx::engine::Criterion::Snip;
    settings.sparsity = 0.5;
    w.circuitPanel()->setSettings(settings);
    w.circuits()->runSweep(settings, {cx::engine::Criterion::Snip, cx::engine::Criterion::Magnitude});
    idle(w);
    w.circuits()->findCircuit(settings);
    idle(w);
    ASSERT_EQ(w.lastError(), QString());
    ASSERT_EQ(w.maskList()->count(), 1);
    auto entry = w.maskList()->masks().first();
    entry.name = QStringLiteral("my circuit");  // renamed, as F2 does
    w.maskList()->addMask(entry);
    // A population of two units (Random only: quick), shown at 20% by delta-f-norm.
    auto* population = w.populationView();
    ASSERT_TRUE(population->setLayer(QStringLiteral("features.3")));
    population->setUnits(QStringLiteral("0-1"));
    population->setCriteria({cx::engine::Criterion::Random});
    Q_EMIT population->runRequested(population->layer(), population->units(), population->criteria());
    idle(w);
    ASSERT_EQ(population->points().size(), 2u * 13u);
    ASSERT_TRUE(population->setSparsity(0.2));
    population->setMetric(cx::engine::CurveMetric::DeltaFNorm);
    auto training = w.trainingPanel()->settings();
    training.epochs = 7;
    training.lambda = 0.02;
    w.trainingPanel()->setSettings(training);
    const auto shownNodes = w.circuitPanel()->view()->diagram().nodes.size();
    ASSERT_GT(shownNodes, 0u);
    ASSERT_TRUE(w.projects()->saveProject(project)) << w.lastError().toStdString();
    EXPECT_EQ(w.projectPath(), project);
    EXPECT_TRUE(w.windowTitle().startsWith("study.cxproj")) << w.windowTitle().toStdString();

    // The session's mask and scores were copied beside the project; the JSON names them relatively.
    const QString savedMask = dir.filePath(QStringLiteral("study.masks/01-my_circuit.safetensors"));
    EXPECT_EQ(contents(savedMask), contents(entry.path));
    const auto json = QJsonDocument::fromJson(contents(project)).object();
    EXPECT_EQ(json.value("format").toString(), QStringLiteral("cx-project/1"));
    EXPECT_EQ(json.value("shown_mask").toString(), QStringLiteral("study.masks/01-my_circuit.safetensors"));

    MainWindow reopened;
    reopened.setShowErrorDialogs(false);
    reopened.projects()->openProject(project);
    idle(reopened);
    ASSERT_EQ(reopened.lastError(), QString());
    EXPECT_EQ(reopened.modelPath(), w.modelPath());
    EXPECT_EQ(reopened.projectPath(), project);
    const auto restored = reopened.circuitPanel()->settings();
    EXPECT_EQ(restored.target, settings.target);
    EXPECT_EQ(restored.criterion, cx::engine::Criterion::Snip);
    EXPECT_DOUBLE_EQ(restored.sparsity, 0.5);
    EXPECT_EQ(reopened.circuitPanel()->sweepCriteria(), w.circuitPanel()->sweepCriteria());
    EXPECT_EQ(reopened.trainingPanel()->settings().epochs, 7);
    EXPECT_DOUBLE_EQ(reopened.trainingPanel()->settings().lambda, 0.02);
    ASSERT_EQ(reopened.maskList()->count(), 1);
    const auto mask = reopened.maskList()->masks().first();
    EXPECT_EQ(mask.name, QStringLiteral("my circuit"));
    EXPECT_EQ(mask.kind, QStringLiteral("circuit"));
    EXPECT_EQ(QFileInfo(mask.path).canonicalFilePath(), QFileInfo(savedMask).canonicalFilePath());
    // The curves come back point for point, and the saved circuit is drawn.
    const auto& before = w.circuitPanel()->curves()->points();
    const auto& after = reopened.circuitPanel()->curves()->points();
    ASSERT_EQ(after.size(), before.size());
    ASSERT_EQ(before.size(), 2u * 13u);
    for (size_t i = 0; i < before.size(); ++i) {
        EXPECT_EQ(after[i].criterion, before[i].criterion);
        EXPECT_DOUBLE_EQ(after[i].sparsity, before[i].sparsity);
        EXPECT_EQ(after[i].kept, before[i].kept);
        EXPECT_DOUBLE_EQ(after[i].pearson, before[i].pearson);
    }
    EXPECT_EQ(reopened.circuitPanel()->view()->diagram().nodes.size(), shownNodes);
    // The population too: its layer, units, criteria, every unit's points, level and metric.
    auto* saved = reopened.populationView();
    EXPECT_EQ(saved->shownLayer(), QStringLiteral("features.3"));
    EXPECT_EQ(saved->layer(), QStringLiteral("features.3"));
    EXPECT_EQ(saved->units(), QStringLiteral("0-1"));
    EXPECT_EQ(saved->criteria(), std::vector<cx::engine::Criterion>{cx::engine::Criterion::Random});
    ASSERT_EQ(saved->points().size(), population->points().size());
    for (size_t i = 0; i < saved->points().size(); ++i) {
        EXPECT_EQ(saved->points()[i].unit, population->points()[i].unit);
        EXPECT_EQ(saved->points()[i].kept, population->points()[i].kept);
        EXPECT_DOUBLE_EQ(saved->points()[i].dfnorm, population->points()[i].dfnorm);
    }
    EXPECT_DOUBLE_EQ(saved->sparsity(), 0.2);
    EXPECT_EQ(saved->metric(), cx::engine::CurveMetric::DeltaFNorm);
    EXPECT_EQ(saved->table()->rowCount(), 2);
    EXPECT_EQ(reopened.populations()->settings().objective, w.populations()->settings().objective);
    EXPECT_TRUE(reopened.circuitPanel()->summaryText().startsWith("my circuit")) << reopened.circuitPanel()->summaryText().toStdString();

    // The saved scores are reused: another sparsity prunes from the project's scores file.
    settings.sparsity = 0.25;
    reopened.circuits()->findCircuit(settings);
    idle(reopened);
    EXPECT_EQ(reopened.lastError(), QString());
    QString reusedScores;
    for (const auto& m : reopened.maskList()->masks())
        if (m.path != mask.path) reusedScores = m.scores;
    EXPECT_EQ(QFileInfo(reusedScores).canonicalFilePath(), QFileInfo(mask.scores).canonicalFilePath());
}

TEST(Project, BadProjectsAreRefusedWithTheReason) {
    QTemporaryDir dir;
    MainWindow w;
    w.setShowErrorDialogs(false);
    const auto write = [&](const char* name, const QByteArray& text) {
        QFile f(dir.filePath(QString::fromLatin1(name)));
        EXPECT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(text);
        return f.fileName();
    };
    w.projects()->openProject(write("garbage.cxproj", "{not json"));
    EXPECT_TRUE(w.lastError().contains("not a project file")) << w.lastError().toStdString();
    w.projects()->openProject(write("other.cxproj", R"({"format": "something/2", "model": "m.pt"})"));
    EXPECT_TRUE(w.lastError().contains("expected cx-project/1")) << w.lastError().toStdString();
    w.projects()->openProject(write("gone.cxproj", R"({"format": "cx-project/1", "model": "missing.pt"})"));
    EXPECT_TRUE(w.lastError().contains("missing.pt does not exist")) << w.lastError().toStdString();
    EXPECT_EQ(w.model(), nullptr);

    // The model file changed since the project was saved: settings come back, masks do not.
    const QString changed = write("changed.cxproj", QStringLiteral(R"({"format": "cx-project/1", "model": "%1", "model_sha256": "0000",
        "circuit": {"target": "features.3:2"}, "masks": [{"name": "old", "file": "old.safetensors", "kind": "circuit"}]})")
                                                        .arg(testModel("chain")).toUtf8());
    w.projects()->openProject(changed);
    idle(w);
    EXPECT_TRUE(w.lastError().contains("has changed since the project was saved")) << w.lastError().toStdString();
    EXPECT_EQ(w.circuitPanel()->target(), QStringLiteral("features.3:2"));
    EXPECT_EQ(w.maskList()->count(), 0);
}

// A scores file opens as a circuit: its target, criterion and unit fill the Circuit tab and the
// circuit is pruned from it (no scoring); Save offers the scores of a found circuit; a file that
// is not a scores file is refused with the reason.
TEST(Project, ScoresFilesOpenAsCircuitsAndSave) {
    QTemporaryDir dir;
    MainWindow w;
    openChain(w);
    const auto settings = findMagnitudeCircuit(w);
    ASSERT_EQ(w.lastError(), QString());
    const auto found = w.maskList()->masks().first();
    EXPECT_TRUE(w.maskList()->canSaveScores());
    const QString saved = dir.filePath(QStringLiteral("scores.safetensors"));
    ASSERT_TRUE(w.masks()->saveScores(found.scores, saved));
    EXPECT_EQ(contents(saved), contents(found.scores));

    MainWindow other;
    openChain(other);
    other.circuitPanel()->setSparsity(0.5);  // scores are pruned at the sparsity chosen here
    other.circuits()->openScores(saved);
    idle(other);
    ASSERT_EQ(other.lastError(), QString());
    const auto opened = other.circuitPanel()->settings();
    EXPECT_EQ(opened.target, QStringLiteral("features.3:1"));
    EXPECT_EQ(opened.criterion, cx::engine::Criterion::Magnitude);
    EXPECT_EQ(opened.granularity, cx::engine::Granularity::Filter);
    ASSERT_EQ(other.maskList()->count(), 1);
    const auto circuit = other.maskList()->masks().first();
    EXPECT_EQ(circuit.scores, saved);  // pruned from the opened file, not scored again
    EXPECT_EQ(circuit.summary, found.summary);
    EXPECT_EQ(other.circuitPanel()->view()->diagram().nodes.size(), w.circuitPanel()->view()->diagram().nodes.size());

    const QString mask = dir.filePath(QStringLiteral("mask.safetensors"));  // session masks are files once saved
    ASSERT_TRUE(w.masks()->saveMask(found.path, mask));
    other.circuits()->openScores(mask);  // a mask, not scores
    EXPECT_TRUE(other.lastError().contains("is not a scores file")) << other.lastError().toStdString();
}

// Before the mask loss became a batch mean, lambda weighed L0 against the sum over a batch of
// 64: such a project's lambda opens as the value that trains the same way now.
TEST(Project, AnOlderProjectsLambdaIsRescaledToTheBatchMeanLoss) {
    const QDir base(QDir::tempPath());
    cx::app::ProjectState state;
    QString error;
    const QByteArray older = R"({"format": "cx-project/1", "model": "/m.pt", "training": {"lambda": 0.0064, "epochs": 3}})";
    ASSERT_TRUE(cx::app::readProjectJson(older, base, state, error)) << error.toStdString();
    EXPECT_DOUBLE_EQ(state.training.lambda, 0.0001);
    EXPECT_EQ(state.training.epochs, 3);
    // What this version writes reads back as it is.
    cx::app::ProjectState reread;
    ASSERT_TRUE(cx::app::readProjectJson(cx::app::projectJson(state, base), base, reread, error)) << error.toStdString();
    EXPECT_DOUBLE_EQ(reread.training.lambda, 0.0001);
}

// A project whose masks are not mask files (a folder, a file with an impossible shape) opens
// with an error naming the file, and nothing crashes.
TEST(Project, MasksThatAreNotFilesGiveAnErrorNotACrash) {
    QTemporaryDir dir;
    MainWindow w;
    openChain(w);
    ASSERT_NE(w.model(), nullptr);
    const QString sha = QString::fromStdString(w.model()->summary().sha256);
    QDir(dir.path()).mkdir(QStringLiteral("folder.safetensors"));
    {
        // A zero size before a dimension >= 2^63.
        QFile f(dir.filePath(QStringLiteral("huge.safetensors")));
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        const QByteArray header = R"({"mask/features.0.weight":{"dtype":"U8","shape":[0,9223372036854775808],"data_offsets":[0,0]}})";
        QByteArray size(8, '\0');
        for (int i = 0; i < 8; ++i) size[i] = char((header.size() >> (8 * i)) & 0xff);
        f.write(size + header);
    }
    for (const QString mask : {QStringLiteral("folder.safetensors"), QStringLiteral("huge.safetensors")}) {
        const QString project = dir.filePath(QStringLiteral("p.cxproj"));
        QFile f(project);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QStringLiteral(R"({"format": "cx-project/1", "model": "%1", "model_sha256": "%2",
            "masks": [{"name": "m", "file": "%3", "kind": "circuit"}], "shown_mask": "%3"})")
                    .arg(testModel("chain"), sha, mask)
                    .toUtf8());
        f.close();
        w.projects()->openProject(project);
        idle(w);
        EXPECT_TRUE(w.lastError().contains(mask)) << w.lastError().toStdString();
    }
}

// Masks and scores live in the project's folder: a path out of it is refused, never read; and a
// field of the wrong type is an error, not a silent default.
TEST(Project, PathsOutOfTheProjectAndWrongTypesAreRefused) {
    QTemporaryDir dir;
    const QDir base(dir.path());
    cx::app::ProjectState state;
    QString error;
    const QByteArray escape = R"({"format": "cx-project/1", "model": "/m.pt",
        "masks": [{"name": "x", "file": "../../../../etc/passwd", "kind": "circuit"}]})";
    EXPECT_FALSE(cx::app::readProjectJson(escape, base, state, error));
    EXPECT_TRUE(error.contains("outside the project's folder")) << error.toStdString();
    error.clear();
    EXPECT_FALSE(cx::app::readProjectJson(R"({"format": "cx-project/1", "model": "/m.pt", "masks": "all"})", base, state, error));
    EXPECT_TRUE(error.contains("'masks' has the wrong type")) << error.toStdString();
    error.clear();
    EXPECT_FALSE(cx::app::readProjectJson(R"({"format": "cx-project/1", "model": 7})", base, state, error));
    EXPECT_TRUE(error.contains("'model'")) << error.toStdString();
    error.clear();
    const QByteArray inside = R"({"format": "cx-project/1", "model": "/m.pt",
        "masks": [{"name": "x", "file": "p.masks/01-x.safetensors", "kind": "circuit"}]})";
    EXPECT_TRUE(cx::app::readProjectJson(inside, base, state, error)) << error.toStdString();
    ASSERT_EQ(state.masks.size(), 1);
    EXPECT_EQ(state.masks.first().path, base.filePath(QStringLiteral("p.masks/01-x.safetensors")));
}

// A found circuit stays in memory: Find Circuit writes no file; it is drawn and compared from
// memory, and its mask and scores are written the first time they are saved, with the bytes
// `cx score` and `cx prune` write for the same settings.
TEST(Project, FoundCircuitsStayInMemoryUntilSaved) {
    QTemporaryDir dir;
    MainWindow w;
    openChain(w);
    const auto settings = findMagnitudeCircuit(w);
    ASSERT_EQ(w.lastError(), QString());
    const auto found = w.maskList()->masks().first();
    EXPECT_FALSE(QFileInfo::exists(found.path));
    EXPECT_FALSE(QFileInfo::exists(found.scores));

    w.masks()->compareMasks(found.path, QString(), cx::engine::OverlapBy::Layer);
    idle(w);
    ASSERT_EQ(w.lastError(), QString());
    int64_t both = 0, only = 0;
    for (const auto& r : w.overlapView()->rows()) {
        both += r.both;
        only += r.onlyA + r.onlyB;
    }
    EXPECT_EQ(QStringLiteral("%1 of").arg(both), found.summary.section(QLatin1Char(' '), 0, 1)) << found.summary.toStdString();
    EXPECT_EQ(only, 0);

    const QString mask = dir.filePath(QStringLiteral("mask.safetensors")), scores = dir.filePath(QStringLiteral("scores.safetensors"));
    ASSERT_TRUE(w.masks()->saveMask(found.path, mask)) << w.lastError().toStdString();
    ASSERT_TRUE(w.masks()->saveScores(found.scores, scores)) << w.lastError().toStdString();
    cx::engine::ScoreRequest score;
    score.model = w.modelPath().toStdString();
    score.images = w.session().imagesForJobs().toStdString();
    score.target = settings.target.toStdString();
    score.objective = settings.objective.toStdString();
    score.criterion = settings.criterion;
    score.granularity = settings.granularity;
    score.out = dir.filePath(QStringLiteral("cx-scores.safetensors")).toStdString();
    cx::engine::JobContext job;
    ASSERT_TRUE(cx::engine::runScore(score, job).ok());
    cx::engine::PruneRequest prune;
    prune.model = score.model;
    prune.scores = score.out;
    prune.sparsity = settings.sparsity;
    prune.bias = settings.bias;
    prune.minmax = settings.minmax;
    prune.out = dir.filePath(QStringLiteral("cx-mask.safetensors")).toStdString();
    ASSERT_TRUE(cx::engine::runPrune(prune, job).ok());
    EXPECT_EQ(contents(scores), contents(QString::fromStdString(score.out)));
    EXPECT_EQ(contents(mask), contents(QString::fromStdString(prune.out)));
}
