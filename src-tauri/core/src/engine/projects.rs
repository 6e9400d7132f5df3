//! Named projects (a folder with a name) and the sessions paired between agents.

use super::*;

impl Engine {
    /// Adds (or moves) a named project: a name of `[A-Za-z0-9_-]{1,64}` and an absolute,
    /// existing directory, stored canonical.
    pub fn add_project(&self, name: &str, path: &str) -> Result<Project> {
        validate_project_name(name)?;
        let dir = validate_dir("path", path)?;
        let project = Project { name: name.to_string(), path: dir.to_string_lossy().into_owned(), created_at: self.inner.clock.now() };
        self.inner.store.insert_project(&project)?;
        Ok(project)
    }

    /// Every named project, by name.
    pub fn projects(&self) -> Result<Vec<Project>> {
        self.inner.store.list_projects()
    }

    /// The live session for the pair `from → to`, or a new one started in `to`'s folder
    /// from `template` (seed 002 getOrCreateSession). The pair is persisted.
    pub async fn get_or_create_pair(&self, from: &str, to: &str, template: NewSession) -> Result<Session> {
        validate_project_name(from)?;
        validate_project_name(to)?;
        let unknown = |n: &str| Error::invalid("project", format!("unknown project '{n}'"));
        self.inner.store.get_project(from)?.ok_or_else(|| unknown(from))?;
        let target = self.inner.store.get_project(to)?.ok_or_else(|| unknown(to))?;
        if let Some(id) = self.inner.store.pair_session(from, to)? {
            if let Some(s) = self.find(&id)? {
                if s.status.is_live() {
                    return Ok(s);
                }
            }
        }
        let request =
            NewSession { cwd: target.path.clone(), title: template.title.clone().or_else(|| Some(format!("{from} → {to}"))), ..template };
        let session = self.create(request).await?;
        self.inner.store.set_pair_session(from, to, &session.id, self.inner.clock.now())?;
        Ok(session)
    }
}
