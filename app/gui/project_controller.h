#pragma once
// Projects: saving the session (model, images, settings, named masks, curves, the population, what is on screen)
// to a .cxproj file and reopening it. Session masks and scores are written into PROJECT.masks/
// beside the project file when it is saved.
#include <memory>

#include "app/gui/controller.h"

class QTabWidget;

namespace cx::widgets {
class CircuitPanel;
class MaskList;
class PopulationView;
class TrainingPanel;
}  // namespace cx::widgets

namespace cx::app {

class CircuitController;
class DataController;
class PopulationController;
struct PopulationState;
struct ProjectState;

class ProjectController : public Controller {
    Q_OBJECT
public:
    /// What a project records and restores.
    struct Views {
        widgets::CircuitPanel* circuit = nullptr;
        widgets::TrainingPanel* training = nullptr;
        widgets::MaskList* masks = nullptr;
        QTabWidget* tabs = nullptr;  // the central tab shown, by title
        CircuitController* circuits = nullptr;
        DataController* data = nullptr;
        widgets::PopulationView* population = nullptr;
        PopulationController* populations = nullptr;
    };
    ProjectController(Session& session, JobRunner& jobs, const Views& views, QObject* parent);
    ~ProjectController() override;

    /// Saves the session to a .cxproj file; false, with a message, on failure.
    bool saveProject(const QString& path);
    /// Save (to the current project) or Save As (asks for a file).
    void chooseSave(bool saveAs);
    /// Reopens a saved session: the model loads in the background (modelRequested), then
    /// modelOpened() restores the rest.
    void openProject(const QString& path);
    QString projectPath() const { return m_path; }

    /// The images of the project being opened (before its model's jobs start); empty when none is.
    const ProjectState* pending() const { return m_pending.get(); }
    /// The model has loaded: restores a pending project; false when none was pending.
    bool modelOpened();
    /// The model was closed: no project is open.
    void modelClosed();
    /// The model of the project being opened failed to load: it is not opened.
    void dropPending();

Q_SIGNALS:
    void modelRequested(const QString& path);
    /// Saved to or opened from `path` (empty: none): the title and the recent files follow.
    void projectChanged(const QString& path);
    /// A layer to select in the model tree (the one whose units the project listed).
    void layerRequested(const QString& name);

private:
    Views m_views;
    QString m_path;                            // the project this session was saved to / opened from
    std::unique_ptr<ProjectState> m_pending;   // applied once its model has loaded
    QString m_pendingPath;

    void apply(const ProjectState& state);
    void applyPopulation(const PopulationState& population);
    /// Every mask and scores file the project names, session files written into `maskDir`.
    bool collectFiles(ProjectState& state, const QString& maskDir, QString& error);
};

}  // namespace cx::app
