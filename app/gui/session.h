#pragma once
// What the window has open: the model and its engine workspace, the images jobs run on, and the
// scores and masks made in this session. Those stay in memory; a session file is written the
// first time a file is asked for (Save, Save Project), never by the job that made it.
#include <memory>

#include <QMap>
#include <QString>

#include "engine/model/workspace.h"

class QTemporaryDir;

namespace cx::app {

class Session {
public:
    Session();
    ~Session();

    /// Makes `model` (read from `path`) the open one; the previous model's results are forgotten.
    void open(std::shared_ptr<engine::Model> model, const QString& path);
    void close();
    bool isOpen() const { return bool(m_model); }
    const std::shared_ptr<engine::Model>& model() const { return m_model; }
    const std::shared_ptr<engine::Workspace>& workspace() const { return m_workspace; }
    QString modelPath() const { return m_modelPath; }

    /// The chosen images (a folder, a safetensors file, a built-in task); empty: the demo shapes.
    QString dataPath() const { return m_dataPath; }
    void setDataPath(const QString& path) { m_dataPath = path; }
    bool usesDemoImages() const { return m_dataPath.isEmpty(); }
    /// The image file jobs score on: the chosen data, or the demo shapes written once per session.
    QString imagesForJobs() const;

    /// A new file name in the session's temporary folder: STEM<n>.SUFFIX (nothing is written).
    QString newFile(const QString& stem, const QString& suffix = QStringLiteral("safetensors"));
    bool isSessionFile(const QString& path) const;

    /// Scores by what they scored (CircuitSettings::scoringKey() + "|" + images): the file they
    /// are or will be saved in, and the scores themselves once in memory.
    void rememberScores(const QString& key, const QString& file, engine::ScoresHandle scores = {});
    QString scoresFile(const QString& key) const { return m_scores.value(key).file; }
    engine::ScoresHandle scoresInMemory(const QString& key) const { return m_scores.value(key).memory; }
    /// Every key with its scores file (what a project records).
    QMap<QString, QString> scoresFiles() const;

    /// A session file that exists only in memory until written (a found circuit, its scores).
    void keepUnwritten(const QString& path, engine::MaskHandle mask);
    void keepUnwritten(const QString& path, engine::ScoresHandle scores);
    /// The mask behind a session file, when it is in memory (drawn and compared without reading it).
    engine::MaskHandle maskInMemory(const QString& path) const { return m_unwritten.value(path).mask; }
    /// True when `path` is a file on disk or an unwritten session file.
    bool has(const QString& path) const;
    /// Writes an unwritten session file (atomically) so that it can be copied; an empty text on
    /// success or when there is nothing to write, else the reason.
    QString writeOut(const QString& path);

private:
    struct ScoresEntry {
        QString file;
        engine::ScoresHandle memory;
    };
    struct Unwritten {
        engine::MaskHandle mask;
        engine::ScoresHandle scores;
    };
    std::shared_ptr<engine::Model> m_model;
    std::shared_ptr<engine::Workspace> m_workspace;
    QString m_modelPath, m_dataPath;
    std::unique_ptr<QTemporaryDir> m_workDir;
    int m_files = 0;
    QMap<QString, ScoresEntry> m_scores;
    QMap<QString, Unwritten> m_unwritten;

    void forgetResults();
};

}  // namespace cx::app
