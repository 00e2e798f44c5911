#pragma once
// Project files (.cxproj): a session saved as JSON - the model, the images, the circuit and
// training settings, every mask with its name, the preservation curves, the population and what was on screen.
// Paths inside the project's folder are stored relative to it, so a project folder can move.
#include <vector>

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include "engine/pruning/pruning.h"  // CurvePoint (plain types)
#include "widgets/circuit_panel.h"
#include "widgets/mask_list.h"
#include "widgets/training_panel.h"

class QDir;

namespace cx::app {

inline constexpr const char* kProjectFormat = "cx-project/1";

/// The Population tab: a layer's units swept, their points and how they were swept.
struct PopulationState {
    QString layer;                              // the units' layer (empty: no population shown)
    QString units = QStringLiteral("all");      // the spec typed in
    std::vector<engine::Criterion> criteria;    // ticked
    std::vector<engine::CurvePoint> points;     // every unit's, with its unit
    widgets::CircuitSettings settings;          // objective, granularity... of the run: what a unit opens with
    double sparsity = 0.1;                      // the histogram's and table's level
    bool deltaFNorm = false;
};

struct ProjectState {
    QString model;        // absolute path once read
    QString modelSha256;  // of the model file when saved: a changed model cannot use the masks
    QString data;         // images jobs run on; empty: the demo shapes
    widgets::CircuitSettings circuit;
    std::vector<engine::Criterion> sweepCriteria;
    widgets::TrainSettings training;
    QList<widgets::MaskEntry> masks;
    QString shownMask;                          // the mask drawn in the diagram (one of masks' paths)
    std::vector<engine::CurvePoint> curves;
    widgets::CircuitSettings sweepSettings;     // what a click on a curve point opens
    QMap<QString, QString> scoresByKey;         // CircuitSettings::scoringKey() -> scores file
    QString tab;                                // the central tab shown, by title
    QString unitsLayer;                         // the layer whose units the Data panel lists
    bool deltaFNorm = false;                    // the curves' metric
    PopulationState population;
};

/// The JSON text of a project; paths under `base` (the project file's folder) become relative.
QByteArray projectJson(const ProjectState& state, const QDir& base);

/// Reads a project's JSON; relative paths are resolved against `base`. False with `error` naming
/// what is wrong (not JSON, another format, a missing field).
bool readProjectJson(const QByteArray& json, const QDir& base, ProjectState& state, QString& error);

}  // namespace cx::app
