//! The engine's EDP operations (sahara/service/ops.py `_run_edp_job`,
//! `_cancel_job_execution`, `_suspend_job_execution`, `_delete_job_execution`), each a cast
//! from the API with the job execution's id. They run the job manager ([`crate::edp`]); what
//! fails is logged (a cast answers nothing).

use crate::error::EngineError;
use crate::{Engine, edp};
use sahara_rpc::RequestContext;
use tracing::Instrument;

/// `run_edp_job(job_execution_id)`.
pub async fn run_edp_job(engine: Engine, ctx: RequestContext, job_execution_id: String) {
    edp::run_job(&engine, &ctx, &job_execution_id).await;
}

/// `cancel_job_execution(job_execution_id)`.
pub async fn cancel_job_execution(engine: Engine, ctx: RequestContext, job_execution_id: String) {
    if let Err(e) = edp::cancel_job(&engine, &ctx, &job_execution_id).await {
        tracing::error!(job_execution_id = %job_execution_id, error = %e, "cancel_job_execution failed: {e}");
    }
}

/// `job_execution_suspend(job_execution_id)`.
pub async fn job_execution_suspend(engine: Engine, ctx: RequestContext, job_execution_id: String) {
    if let Err(e) = edp::suspend_job(&engine, &ctx, &job_execution_id).await {
        tracing::error!(job_execution_id = %job_execution_id, error = %e, "job_execution_suspend failed: {e}");
    }
}

/// `delete_job_execution(job_execution_id)`: the job is cancelled (one that could not be in
/// time is deleted anyway), then its row destroyed; nothing is done when it is gone already.
/// Another failure of the cancel leaves the execution, as in Sahara.
pub async fn delete_job_execution(engine: Engine, ctx: RequestContext, job_execution_id: String) {
    let span = tracing::info_span!("edp.delete_job_execution", job_execution_id = %job_execution_id);
    async {
        match edp::cancel_job(&engine, &ctx, &job_execution_id).await {
            // Deleted already: nothing to do.
            Ok(None) => return,
            Ok(Some(_)) => {}
            Err(EngineError::CancelingFailed(_)) => {
                tracing::error!("Job execution can't be cancelled in time. Deleting it anyway.");
            }
            Err(e) => {
                tracing::error!(error = %e, "delete_job_execution failed: {e}");
                return;
            }
        }
        match engine.conductor.job_execution_destroy(&ctx, &job_execution_id).await {
            Ok(()) => tracing::info!("job execution deleted"),
            Err(e) => tracing::error!(error = %e, "delete_job_execution failed: {e}"),
        }
    }
    .instrument(span)
    .await
}
