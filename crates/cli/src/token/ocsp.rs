//! The OCSP transport for `sign-test`: an HTTP POST of the DER request (RFC 6960 A.1).

use std::time::Duration;

/// POSTs `request` to `url` and returns the response body, or why it failed (in words).
pub fn post(url: &str, request: &[u8]) -> Result<Vec<u8>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .post(url)
            .header("Content-Type", "application/ocsp-request")
            .header("Accept", "application/ocsp-response")
            .body(request.to_vec())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        Ok(response.bytes().await.map_err(|e| e.to_string())?.to_vec())
    })
}
