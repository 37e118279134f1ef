//! A browser without a screen: keeps its cookies, follows no redirect by itself, posts forms.

/// A browser: keeps its cookies, follows no redirect by itself.
pub struct Browser {
    pub http: reqwest::blocking::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::blocking::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a browser"),
        }
    }
}

impl Browser {
    /// Posts a form to `url`, saying it comes from `origin` when given (browsers do): the
    /// answer's status and body.
    pub fn post_form(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (u16, String) {
        let mut request = self.http.post(url).form(fields);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let answer = request.send().expect("an answer");
        (answer.status().as_u16(), answer.text().unwrap_or_default())
    }

    /// Goes to `url`: the answer's status, where it sends the browser, and its body.
    pub fn go(&self, url: &str) -> (u16, Option<String>, String) {
        let answer = self.http.get(url).send().expect("an answer");
        let status = answer.status().as_u16();
        let location = answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| match l.starts_with('/') {
                true => {
                    let base = url.split('/').take(3).collect::<Vec<_>>().join("/");
                    format!("{base}{l}")
                }
                false => l.to_owned(),
            });
        (status, location, answer.text().unwrap_or_default())
    }
}
