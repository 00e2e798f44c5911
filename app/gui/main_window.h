#pragma once
// The main window: model panel (layer tree), jobs panel, central views, menus, recent files,
// drag and drop, persistent settings. Engine work goes through the JobRunner.
#include <memory>

#include <QMap>

#include <QMainWindow>

#include "engine/model.h"
#include "engine/workspace.h"
#include "widgets/circuit_panel.h"  // CircuitSettings

class QLabel;
class QMenu;
class QTabWidget;

class QDockWidget;
class QTemporaryDir;

namespace cx::widgets {
class DataPanel;
class JobsPanel;
class MaskList;
class OverlapView;
class TrainingPanel;
struct TrainSettings;
class LayerDetailsView;
class LayerTreeView;
}  // namespace cx::widgets

namespace cx::app {

class JobRunner;
struct ProjectState;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Loads a model in the background; on success it replaces the open one.
    void openModel(const QString& path);
    void openDemoModel();
    /// Opens what a file is: a project (.cxproj), a mask (.safetensors, on the open model) or a model.
    void openFile(const QString& path);
    /// Saves the session to a .cxproj file (session masks and scores are copied into
    /// PROJECT.masks/ beside it); false, with a message, on failure.
    bool saveProject(const QString& path);
    /// Reopens a saved session: the model loads in the background, then the rest is restored.
    void openProject(const QString& path);
    QString projectPath() const { return m_projectPath; }
    void closeModel();
    /// Selects and expands a layer by name; false when the open model has no such layer.
    bool selectLayer(const QString& name);

    const std::shared_ptr<engine::Model>& model() const { return m_model; }
    const std::shared_ptr<engine::Workspace>& workspace() const { return m_workspace; }
    QString modelPath() const { return m_modelPath; }
    QString lastError() const { return m_lastError; }
    QStringList recentFiles() const;
    JobRunner* jobs() const { return m_jobs; }
    widgets::LayerTreeView* layerTree() const { return m_tree; }
    widgets::JobsPanel* jobsPanel() const { return m_jobsPanel; }
    widgets::LayerDetailsView* details() const { return m_details; }
    widgets::CircuitPanel* circuitPanel() const { return m_circuit; }

    /// Scores, prunes and draws a circuit in the background (circuit_actions.cpp), on the chosen
    /// images (the demo shapes by default). Scores are reused when only the sparsity, bias or
    /// min-max changed, so moving the sparsity slider re-prunes at once.
    void findCircuit(const widgets::CircuitSettings& settings);
    /// The same with the panel's other settings.
    void findCircuit(const QString& target, double sparsity);
    /// Preservation curves for several criteria, streamed into the curve view as they come.
    void runSweep(const widgets::CircuitSettings& settings, const std::vector<engine::Criterion>& criteria);
    /// Chooses the images jobs run on: a folder or safetensors file; empty: the demo shapes.
    void setData(const QString& path);
    QString dataPath() const { return m_dataPath; }
    /// Lists the units of `layer` with their mean activation on the chosen images.
    void showUnits(const QString& layer);
    widgets::DataPanel* dataPanel() const { return m_data; }
    /// The image file jobs score on: the chosen data, or the demo shapes written once per session.
    QString imagesForJobs();
    /// Trains a learned mask in the background with live plots (training_actions.cpp).
    void trainMask(const widgets::TrainSettings& settings);
    widgets::TrainingPanel* trainingPanel() const { return m_training; }
    /// Draws a mask file's circuit (from cx prune, or any kernel/filter/weight mask); a file
    /// not listed yet joins the Masks panel.
    void openMask(const QString& path, bool addToList = true);
    /// Layer-wise overlap of two masks (pathB empty: one mask, kept vs removed) in the Overlap tab.
    void compareMasks(const QString& pathA, const QString& pathB, engine::OverlapBy by);
    /// Copies a session mask to `target` atomically; false (with a message) on failure.
    bool saveMask(const QString& path, const QString& target);
    /// The same for the scores file a circuit was pruned from.
    bool saveScores(const QString& path, const QString& target);
    /// Opens a scores file (cx score, or a saved one): its target, criterion, unit and objective
    /// fill the Circuit tab and the circuit is pruned from it at the chosen sparsity.
    void openScores(const QString& path);
    widgets::MaskList* maskList() const { return m_masks; }
    widgets::OverlapView* overlapView() const { return m_overlap; }
    /// Writes the shown diagram by extension: SVG, PDF or PNG (at `dpi`) as drawn, pictures and
    /// highlight included; DOT (the Graphviz source) from the engine, in the background.
    void exportDiagram(const QString& path, double dpi = 150);
    /// A dark palette for the whole application (remembered); false restores the system one.
    void setDarkTheme(bool dark);
    /// Error dialogs are non-modal; tests turn them off and read lastError().
    void setShowErrorDialogs(bool show) { m_showErrorDialogs = show; }

Q_SIGNALS:
    void modelChanged();
    void modelLoadFailed(const QString& message);
    /// A mask training job finished and wrote this file.
    void maskTrained(const QString& path, const QString& name, const QString& summary);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    JobRunner* m_jobs = nullptr;
    widgets::LayerTreeView* m_tree = nullptr;
    widgets::LayerDetailsView* m_details = nullptr;
    widgets::JobsPanel* m_jobsPanel = nullptr;
    QTabWidget* m_central = nullptr;
    widgets::CircuitPanel* m_circuit = nullptr;
    widgets::TrainingPanel* m_training = nullptr;
    int m_trainJob = 0;
    widgets::MaskList* m_masks = nullptr;
    widgets::DataPanel* m_data = nullptr;
    QString m_unitsLayer;
    widgets::OverlapView* m_overlap = nullptr;
    std::unique_ptr<QTemporaryDir> m_workDir;  // scores and masks of circuits found in this session
    int m_circuitRuns = 0;
    QMap<QString, QString> m_scoresByKey;    // this model's CircuitSettings::scoringKey() + images -> scores file
    QMap<QString, engine::ScoresHandle> m_scoresInMemory;  // the same key -> the scores in the workspace
    QMap<QString, engine::MaskHandle> m_sessionMasks;  // session mask file -> the mask in memory (drawn without reading it)
    widgets::CircuitSettings m_sweepSettings;  // what a click on a curve point opens
    QString m_dataPath;                      // chosen images; empty: the demo shapes
    QMenu* m_recentMenu = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_memoryLabel = nullptr;
    std::shared_ptr<engine::Model> m_model;
    std::shared_ptr<engine::Workspace> m_workspace;  // the open model's: images, scores, pictures kept between jobs
    QString m_modelPath;
    QString m_lastError;
    QString m_projectPath;                           // the project this session was saved to / opened from
    std::unique_ptr<ProjectState> m_pendingProject;  // applied once its model has loaded
    QString m_pendingProjectPath;
    bool m_showErrorDialogs = true;

    void buildMenus();
    void buildDocks();
    void buildStatusBar();
    void buildCircuitTab();
    void buildTrainingTab();
    void buildMaskViews();
    void buildDataDock(QDockWidget* below);
    void chooseMaskSave(const QString& path, const QString& name);  // asks for a file, then saveMask()
    bool copyOut(const QString& path, const QString& target, const QString& failure);
    void chooseDiagramExport();  // asks for a file, then exportDiagram()
    void chooseProjectSave(bool saveAs);  // Save (to the current project) or Save As
    void applyProject(const ProjectState& state);
    void wireJobs();
    void setModel(std::shared_ptr<engine::Model> model, const QString& path);
    void showError(const QString& title, const QString& message);
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void updateTitle();
    void updateMemory();
    void showAbout();
};

}  // namespace cx::app
