#pragma once
// The main window composes: the model tree, jobs, masks and data docks; the central tabs
// (Model, Circuit, Population, Probes, Clusters, Neurons, Mask Training, Overlap); the menus; and one controller per tab, which owns
// that tab's state and runs its engine work through the JobRunner on the open Session.
#include <memory>

#include <QMainWindow>

class QLabel;
class QTabWidget;

namespace cx::engine {
class Model;
class Workspace;
}  // namespace cx::engine

namespace cx::widgets {
class CircuitPanel;
class DataPanel;
class JobsPanel;
class LayerDetailsView;
class LayerTreeView;
class MaskList;
class OverlapView;
class PopulationView;
class ProbePanel;
class ClusterPanel;
class NeuronPanel;
class EquivalenceView;
class TrainingPanel;
}  // namespace cx::widgets

namespace cx::app {

class CircuitController;
class Controller;
class DataController;
class JobRunner;
class MasksController;
class PopulationController;
class ProbeController;
class ClusterController;
class NeuronController;
class EquivalenceController;
class ProjectController;
class RecentFiles;
class Session;
class TrainingController;

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
    void closeModel();
    /// Selects and expands a layer by name; false when the open model has no such layer.
    bool selectLayer(const QString& name);
    /// A dark palette for the whole application (remembered); false restores the system one.
    void setDarkTheme(bool dark);
    /// Error dialogs are non-modal; tests turn them off and read lastError().
    void setShowErrorDialogs(bool show) { m_showErrorDialogs = show; }
    QString lastError() const { return m_lastError; }
    QStringList recentFiles() const;

    Session& session() const { return *m_session; }
    const std::shared_ptr<engine::Model>& model() const;
    const std::shared_ptr<engine::Workspace>& workspace() const;
    QString modelPath() const;
    QString projectPath() const;
    JobRunner* jobs() const { return m_jobs; }

    CircuitController* circuits() const { return m_circuits; }
    TrainingController* training() const { return m_training; }
    MasksController* masks() const { return m_masks; }
    DataController* data() const { return m_data; }
    ProjectController* projects() const { return m_projects; }
    PopulationController* populations() const { return m_populations; }
    ProbeController* probes() const { return m_probes; }
    ClusterController* clusters() const { return m_clusters; }
    NeuronController* neurons() const { return m_neurons; }
    EquivalenceController* equivalence() const { return m_equivalence; }

    widgets::LayerTreeView* layerTree() const { return m_tree; }
    widgets::LayerDetailsView* details() const { return m_details; }
    widgets::JobsPanel* jobsPanel() const { return m_jobsPanel; }
    widgets::CircuitPanel* circuitPanel() const { return m_circuitPanel; }
    widgets::TrainingPanel* trainingPanel() const { return m_trainingPanel; }
    widgets::MaskList* maskList() const { return m_maskList; }
    widgets::OverlapView* overlapView() const { return m_overlap; }
    widgets::PopulationView* populationView() const { return m_population; }
    widgets::ProbePanel* probePanel() const { return m_probePanel; }
    widgets::ClusterPanel* clusterPanel() const { return m_clusterPanel; }
    widgets::NeuronPanel* neuronPanel() const { return m_neuronPanel; }
    widgets::EquivalenceView* equivalenceView() const { return m_equivalenceView; }
    widgets::DataPanel* dataPanel() const { return m_dataPanel; }
    /// The page of the central tabs in front (Circuit, Training, ..., Neurons).
    QWidget* currentTab() const;

Q_SIGNALS:
    void modelChanged();
    void modelLoadFailed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    std::unique_ptr<Session> m_session;
    JobRunner* m_jobs = nullptr;
    RecentFiles* m_recent = nullptr;
    widgets::LayerTreeView* m_tree = nullptr;
    widgets::LayerDetailsView* m_details = nullptr;
    widgets::JobsPanel* m_jobsPanel = nullptr;
    QTabWidget* m_central = nullptr;
    widgets::CircuitPanel* m_circuitPanel = nullptr;
    widgets::TrainingPanel* m_trainingPanel = nullptr;
    widgets::MaskList* m_maskList = nullptr;
    widgets::OverlapView* m_overlap = nullptr;
    widgets::PopulationView* m_population = nullptr;
    widgets::ProbePanel* m_probePanel = nullptr;
    widgets::ClusterPanel* m_clusterPanel = nullptr;
    widgets::NeuronPanel* m_neuronPanel = nullptr;
    widgets::EquivalenceView* m_equivalenceView = nullptr;
    widgets::DataPanel* m_dataPanel = nullptr;
    CircuitController* m_circuits = nullptr;
    TrainingController* m_training = nullptr;
    MasksController* m_masks = nullptr;
    DataController* m_data = nullptr;
    ProjectController* m_projects = nullptr;
    PopulationController* m_populations = nullptr;
    ProbeController* m_probes = nullptr;
    ClusterController* m_clusters = nullptr;
    NeuronController* m_neurons = nullptr;
    EquivalenceController* m_equivalence = nullptr;
    QLabel* m_deviceLabel = nullptr;  // the device jobs run on (the Compute menu updates it)
    QString m_lastError;
    bool m_showErrorDialogs = true;

    void buildViews();
    void buildControllers();
    void wireController(Controller* controller);
    void buildMenus();
    void buildStatusBar();
    void setModel(std::shared_ptr<engine::Model> model, const QString& path);
    void showError(const QString& title, const QString& message);
    void updateTitle();
};

}  // namespace cx::app
