#include <QToolButton>

#include <gtest/gtest.h>

#include "widgets/jobs_panel.h"

using cx::widgets::JobsPanel;

TEST(JobsPanel, ProgressAndOutcomes) {
    JobsPanel panel;
    panel.addJob(1, "Load model");
    panel.addJob(2, "Score");
    EXPECT_EQ(panel.runningCount(), 2);
    panel.setProgress(1, "loading", 0.25);
    EXPECT_EQ(panel.progressValue(1), 250);
    EXPECT_TRUE(panel.statusText(1).contains("25%"));
    panel.finishJob(1, JobsPanel::Outcome::Succeeded, {});
    panel.finishJob(2, JobsPanel::Outcome::Failed, "bad file");
    EXPECT_EQ(panel.runningCount(), 0);
    EXPECT_EQ(panel.progressValue(1), 1000);
    EXPECT_EQ(panel.statusText(2), "failed: bad file");
    panel.setProgress(2, "late", 0.5);  // ignored after the end
    EXPECT_EQ(panel.statusText(2), "failed: bad file");
}

TEST(JobsPanel, CancelButtonEmitsTheJobId) {
    JobsPanel panel;
    panel.addJob(7, "Long job");
    int requested = -1;
    QObject::connect(&panel, &JobsPanel::cancelRequested, [&](int id) { requested = id; });
    auto buttons = panel.findChildren<QToolButton*>();
    ASSERT_EQ(buttons.size(), 1);
    buttons.first()->click();
    EXPECT_EQ(requested, 7);
}

TEST(JobsPanel, KeepsOnlyRecentFinishedRows) {
    JobsPanel panel;
    for (int i = 1; i <= 10; ++i) {
        panel.addJob(i, QString("job %1").arg(i));
        panel.finishJob(i, JobsPanel::Outcome::Succeeded, {});
    }
    EXPECT_EQ(panel.rowCount(), 6);
    EXPECT_EQ(panel.progressValue(1), -1);
    EXPECT_EQ(panel.progressValue(10), 1000);
}
