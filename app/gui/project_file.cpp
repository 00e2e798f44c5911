#include "app/gui/project_file.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "engine/data/arithmetic.h"

namespace cx::app {
namespace {

QString relative(const QDir& base, const QString& path) {
    if (path.isEmpty()) return path;
    const QString rel = base.relativeFilePath(path);
    return rel.startsWith(QLatin1String("..")) ? QDir::cleanPath(base.absoluteFilePath(path)) : rel;
}

// The demo transformer's prompts ("addition") are names, not files.
bool builtInData(const QString& data) { return engine::parseArithmeticOp(data.toStdString()).has_value(); }

QString absolute(const QDir& base, const QString& path) {
    return path.isEmpty() ? path : QDir::cleanPath(base.absoluteFilePath(path));
}

template <typename E>
QString nameOf(E value) {
    return QString::fromLatin1(engine::nameOf(value));
}

QJsonArray criteriaJson(const std::vector<engine::Criterion>& criteria) {
    QJsonArray out;
    for (const auto c : criteria) out.append(nameOf(c));
    return out;
}

// An option saved by its engine name: absent keeps `out`; a name the engine does not know is
// an error naming the field (a project is refused rather than opened with another setting).
template <typename E, typename Parse>
bool readChoice(const QJsonObject& o, const char* key, Parse parse, E& out, QString& error) {
    if (!o.contains(QLatin1String(key))) return true;
    auto parsed = parse(o.value(QLatin1String(key)).toString().toStdString());
    if (parsed) {
        out = parsed.value();
        return true;
    }
    if (error.isEmpty())
        error = QObject::tr("the project's '%1': %2").arg(QLatin1String(key), QString::fromStdString(parsed.error().message));
    return false;
}

QJsonObject circuitJson(const widgets::CircuitSettings& s, const QDir& base) {
    return {{"target", s.target},              {"direction", relative(base, s.directionFile)},
            {"criterion", nameOf(s.criterion)}, {"granularity", nameOf(s.granularity)},
            {"objective", s.objective},        {"sparsity", s.sparsity},
            {"bias", nameOf(s.bias)},          {"minmax", s.minmax}};
}

widgets::CircuitSettings circuitFrom(const QJsonObject& o, const QDir& base, QString& error) {
    widgets::CircuitSettings s;
    s.target = o.value("target").toString();
    s.directionFile = absolute(base, o.value("direction").toString());
    readChoice(o, "criterion", engine::parseCriterion, s.criterion, error);
    readChoice(o, "granularity", engine::parseGranularity, s.granularity, error);
    s.objective = o.value("objective").toString(s.objective);
    s.sparsity = o.value("sparsity").toDouble(s.sparsity);
    readChoice(o, "bias", engine::parseBiasMode, s.bias, error);
    s.minmax = o.value("minmax").toBool(s.minmax);
    return s;
}

QJsonObject trainingJson(const widgets::TrainSettings& s, const QDir& base) {
    // A task is a file, or a built-in name ("addition") that is kept as it is.
    const bool file = s.task.contains(QLatin1Char('/'));
    return {{"method", nameOf(s.method)}, {"granularity", nameOf(s.granularity)}, {"layers", s.layers},
            {"task", file ? relative(base, s.task) : s.task},        {"task_is_file", file},
            {"preserve", s.preserve}, {"lambda", s.lambda},          {"target_kept", s.targetKept},
            {"epochs", s.epochs},     {"lambda_against", "batch mean"}};
}

widgets::TrainSettings trainingFrom(const QJsonObject& o, const QDir& base, QString& error) {
    widgets::TrainSettings s;
    readChoice(o, "method", engine::parseMaskMethod, s.method, error);
    readChoice(o, "granularity", engine::parseGranularity, s.granularity, error);
    s.layers = o.value("layers").toString(s.layers);
    s.task = o.value("task").toString();
    if (o.value("task_is_file").toBool()) s.task = absolute(base, s.task);
    s.preserve = o.value("preserve").toString();
    s.lambda = o.value("lambda").toDouble(s.lambda);
    // Projects saved before the loss became a batch mean weighed L0 against the sum over a
    // batch of 64: the same training is lambda / 64 now.
    if (o.contains("lambda") && o.value("lambda_against").toString() != QStringLiteral("batch mean")) s.lambda /= 64.0;
    s.targetKept = o.value("target_kept").toDouble(s.targetKept);
    s.epochs = o.value("epochs").toInt(s.epochs);
    return s;
}

QJsonObject pointJson(const engine::CurvePoint& p) {
    QJsonObject o{{"criterion", nameOf(p.criterion)},
            {"sparsity", p.sparsity},
            {"relevant", qint64(p.relevant)},
            {"kept", qint64(p.kept)},
            {"effective_kept", qint64(p.effectiveKept)},
            {"disconnected", p.disconnected},
            {"pearson", p.pearson},
            {"dfnorm", p.dfnorm}};
    if (p.unit >= 0) o.insert("unit", qint64(p.unit));  // a population's
    return o;
}

engine::CurvePoint pointFrom(const QJsonObject& o, QString& error) {
    engine::CurvePoint p;
    if (!o.contains("criterion") && error.isEmpty()) error = QObject::tr("a curve point of the project has no 'criterion'");
    readChoice(o, "criterion", engine::parseCriterion, p.criterion, error);
    p.sparsity = o.value("sparsity").toDouble();
    p.relevant = o.value("relevant").toInteger();
    p.kept = o.value("kept").toInteger();
    p.effectiveKept = o.value("effective_kept").toInteger();
    p.disconnected = o.value("disconnected").toBool();
    p.pearson = o.value("pearson").toDouble();
    p.dfnorm = o.value("dfnorm").toDouble();
    p.unit = o.value("unit").toInteger(-1);
    return p;
}

// A list of criterion names; the first bad one becomes `error` (naming the project's `field`).
std::vector<engine::Criterion> criteriaFrom(const QJsonArray& names, const char* field, QString& error) {
    std::vector<engine::Criterion> criteria;
    for (const auto& c : names) {
        auto criterion = engine::parseCriterion(c.toString().toStdString());
        if (!criterion) {
            if (error.isEmpty())
                error = QObject::tr("the project's '%1': %2").arg(QLatin1String(field), QString::fromStdString(criterion.error().message));
            return criteria;
        }
        criteria.push_back(criterion.value());
    }
    return criteria;
}

QJsonObject populationJson(const PopulationState& p, const QDir& base) {
    QJsonArray points;
    for (const auto& point : p.points) points.append(pointJson(point));
    return {{"layer", p.layer},
            {"units", p.units},
            {"criteria", criteriaJson(p.criteria)},
            {"points", points},
            {"settings", circuitJson(p.settings, base)},
            {"sparsity", p.sparsity},
            {"metric", p.deltaFNorm ? "delta-f-norm" : "pearson"}};
}

PopulationState populationFrom(const QJsonObject& o, const QDir& base, QString& error) {
    PopulationState p;
    p.layer = o.value("layer").toString();
    p.units = o.value("units").toString(QStringLiteral("all"));
    p.criteria = criteriaFrom(o.value("criteria").toArray(), "population.criteria", error);
    for (const auto& v : o.value("points").toArray()) {
        p.points.push_back(pointFrom(v.toObject(), error));
        if (p.points.back().unit < 0 && error.isEmpty()) error = QObject::tr("a point of the project's population has no 'unit'");
    }
    p.settings = circuitFrom(o.value("settings").toObject(), base, error);
    p.sparsity = o.value("sparsity").toDouble(0.1);
    p.deltaFNorm = o.value("metric").toString() == QLatin1String("delta-f-norm");
    return p;
}

}  // namespace

QByteArray projectJson(const ProjectState& s, const QDir& base) {
    QJsonArray masks;
    for (const auto& m : s.masks)
        masks.append(QJsonObject{{"name", m.name},
                                 {"file", relative(base, m.path)},
                                 {"kind", m.kind},
                                 {"summary", m.summary},
                                 {"scores", relative(base, m.scores)}});
    QJsonArray curves;
    for (const auto& p : s.curves) curves.append(pointJson(p));
    QJsonObject scores;
    for (auto it = s.scoresByKey.begin(); it != s.scoresByKey.end(); ++it) scores.insert(it.key(), relative(base, it.value()));
    QJsonObject root{{"format", kProjectFormat},
                     {"model", relative(base, s.model)},
                     {"model_sha256", s.modelSha256},
                     {"data", builtInData(s.data) ? s.data : relative(base, s.data)},
                     {"circuit", circuitJson(s.circuit, base)},
                     {"sweep_criteria", criteriaJson(s.sweepCriteria)},
                     {"training", trainingJson(s.training, base)},
                     {"masks", masks},
                     {"shown_mask", relative(base, s.shownMask)},
                     {"curves", curves},
                     {"curves_settings", circuitJson(s.sweepSettings, base)},
                     {"scores_by_key", scores},
                     {"population", populationJson(s.population, base)},
                     {"view", QJsonObject{{"tab", s.tab}, {"units_layer", s.unitsLayer},
                                          {"curve_metric", s.deltaFNorm ? "delta-f-norm" : "pearson"}}}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

namespace {

// A field of the wrong JSON type is an error, not a silent default.
bool typesAreRight(const QJsonObject& root, QString& error) {
    const std::pair<const char*, QJsonValue::Type> fields[] = {
        {"model", QJsonValue::String},          {"model_sha256", QJsonValue::String}, {"data", QJsonValue::String},
        {"circuit", QJsonValue::Object},        {"sweep_criteria", QJsonValue::Array}, {"training", QJsonValue::Object},
        {"masks", QJsonValue::Array},           {"shown_mask", QJsonValue::String},   {"curves", QJsonValue::Array},
        {"curves_settings", QJsonValue::Object}, {"scores_by_key", QJsonValue::Object}, {"view", QJsonValue::Object},
        {"population", QJsonValue::Object}};
    for (const auto& [key, type] : fields)
        if (root.contains(QLatin1String(key)) && root.value(QLatin1String(key)).type() != type) {
            error = QObject::tr("the project's '%1' has the wrong type").arg(QLatin1String(key));
            return false;
        }
    for (const auto& m : root.value("masks").toArray())
        if (!m.isObject() || !m.toObject().value("file").isString()) {
            error = QObject::tr("the project's masks must each be an object with a 'file'");
            return false;
        }
    return true;
}

// Masks and scores are saved inside the project's folder: one that points elsewhere
// ("../../etc/passwd") is refused, never read.
bool insideProject(const QDir& base, const QString& path, QString& error) {
    if (path.isEmpty()) return true;
    const QString folder = QDir::cleanPath(base.absolutePath()) + QLatin1Char('/');
    if (QDir::cleanPath(path).startsWith(folder)) return true;
    error = QObject::tr("the project's file %1 lies outside the project's folder").arg(path);
    return false;
}

}  // namespace

bool readProjectJson(const QByteArray& json, const QDir& base, ProjectState& s, QString& error) {
    QJsonParseError parse;
    const auto doc = QJsonDocument::fromJson(json, &parse);
    if (doc.isNull()) {
        error = QObject::tr("not a project file (JSON error at byte %1: %2)").arg(parse.offset).arg(parse.errorString());
        return false;
    }
    const QJsonObject root = doc.object();
    if (!doc.isObject() || !typesAreRight(root, error)) {
        if (error.isEmpty()) error = QObject::tr("not a project file (not a JSON object)");
        return false;
    }
    if (root.value("format").toString() != QLatin1String(kProjectFormat)) {
        error = QObject::tr("not a Circuit Explorer project (format is '%1', expected %2)")
                    .arg(root.value("format").toString(), QLatin1String(kProjectFormat));
        return false;
    }
    if (root.value("model").toString().isEmpty()) {
        error = QObject::tr("the project names no model");
        return false;
    }
    s = ProjectState{};
    s.model = absolute(base, root.value("model").toString());
    s.modelSha256 = root.value("model_sha256").toString();
    const QString data = root.value("data").toString();
    s.data = builtInData(data) ? data : absolute(base, data);
    s.circuit = circuitFrom(root.value("circuit").toObject(), base, error);
    s.sweepCriteria = criteriaFrom(root.value("sweep_criteria").toArray(), "sweep_criteria", error);
    if (!error.isEmpty()) return false;
    s.training = trainingFrom(root.value("training").toObject(), base, error);
    if (!error.isEmpty()) return false;
    for (const auto& value : root.value("masks").toArray()) {
        const auto m = value.toObject();
        s.masks.append({m.value("name").toString(), absolute(base, m.value("file").toString()), m.value("kind").toString(),
                        m.value("summary").toString(), absolute(base, m.value("scores").toString())});
    }
    s.shownMask = absolute(base, root.value("shown_mask").toString());
    for (const auto& m : s.masks)
        if (!insideProject(base, m.path, error) || !insideProject(base, m.scores, error)) return false;
    if (!insideProject(base, s.shownMask, error)) return false;
    for (const auto& p : root.value("curves").toArray()) s.curves.push_back(pointFrom(p.toObject(), error));
    s.sweepSettings = circuitFrom(root.value("curves_settings").toObject(), base, error);
    s.population = populationFrom(root.value("population").toObject(), base, error);  // older projects have none
    if (!error.isEmpty()) return false;
    const auto scores = root.value("scores_by_key").toObject();
    for (auto it = scores.begin(); it != scores.end(); ++it) {
        s.scoresByKey.insert(it.key(), absolute(base, it.value().toString()));
        if (!insideProject(base, s.scoresByKey.value(it.key()), error)) return false;
    }
    const auto view = root.value("view").toObject();
    s.tab = view.value("tab").toString();
    s.unitsLayer = view.value("units_layer").toString();
    s.deltaFNorm = view.value("curve_metric").toString() == QLatin1String("delta-f-norm");
    return true;
}

}  // namespace cx::app
