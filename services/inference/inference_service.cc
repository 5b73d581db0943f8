#include "services/inference/inference_service.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_mapping.h"
#include "services/inference/engine/tensor_type.h"
#include "services/inference/generate_stream.h"

namespace cascade::inference {
namespace {

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const grpc::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

int64_t ParameterCount(const engine::Model& model) {
  const engine::ModelConfig& c = model.config();
  int64_t per_layer = 2LL * c.dim + 1LL * c.q_dim() * c.dim * 2 + 2LL * c.kv_dim() * c.dim +
                      3LL * c.ffn_dim * c.dim;
  int64_t embedding = 1LL * c.vocab_size * c.dim;
  return embedding * (model.tied_classifier() ? 1 : 2) + per_layer * c.layers + c.dim;
}

}  // namespace

InferenceServiceImpl::InferenceServiceImpl(std::shared_ptr<ModelRegistry> registry,
                                           std::shared_ptr<InferenceMetrics> metrics,
                                           ServerLimits limits)
    : registry_(std::move(registry)), metrics_(std::move(metrics)), limits_(limits) {}

grpc::ServerWriteReactor<cascade::v1::GenerateChunk>* InferenceServiceImpl::Generate(
    grpc::CallbackServerContext* context, const cascade::v1::GenerateRequest* request) {
  auto prepared = PrepareGenerate(*request, *registry_, limits_);
  if (!prepared.ok()) {
    // Not a loaded model's request: count it under the name asked for only when it exists,
    // so label values stay bounded.
    std::string model = registry_->Find(request->model()) ? request->model() : "unknown";
    auto* stream = new GenerateStream(metrics_, model, PreparedRequest{});
    stream->Reject(prepared.status(), prepared.status().code() == absl::StatusCode::kNotFound
                                          ? "not_found"
                                          : "invalid_argument");
    return stream;
  }
  ModelWorker& worker = *prepared->model->worker;
  auto* stream = new GenerateStream(metrics_, request->model(), *std::move(prepared));
  auto job = stream->MakeJob();
  job->deadline = context->deadline();
  std::function<void(absl::StatusOr<engine::GenerateResult>)> on_done = job->on_done;
  absl::Status submitted = worker.Submit(std::move(job));
  if (!submitted.ok()) {
    // The worker never took the job: end the call and drop the job's reference.
    on_done(submitted);
  }
  return stream;
}

grpc::ServerUnaryReactor* InferenceServiceImpl::Tokenize(
    grpc::CallbackServerContext* context, const cascade::v1::TokenizeRequest* request,
    cascade::v1::TokenizeResponse* response) {
  const LoadedModel* model = registry_->Find(request->model());
  if (model == nullptr) {
    return FinishUnary(context, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                             absl::StrCat("unknown model '", request->model(),
                                                          "' (loaded: ", registry_->Names(), ")")));
  }
  const engine::Tokenizer& tokenizer = model->worker->model().tokenizer();
  auto ids = tokenizer.Encode(request->text(), request->add_bos());
  if (!ids.ok()) return FinishUnary(context, ToGrpcStatus(ids.status()));
  for (int id : *ids) {
    response->add_token_ids(id);
    response->add_tokens(tokenizer.token_text(id));
  }
  return FinishUnary(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* InferenceServiceImpl::ListModels(
    grpc::CallbackServerContext* context, const cascade::v1::ListModelsRequest*,
    cascade::v1::ListModelsResponse* response) {
  for (const LoadedModel* loaded : registry_->models()) {
    const engine::Model& model = loaded->worker->model();
    auto* info = response->add_models();
    info->set_name(loaded->config.name());
    info->set_architecture(std::string(engine::ArchitectureName(model.config().architecture)));
    info->set_parameters(ParameterCount(model));
    info->set_context_length(loaded->worker->context_length());
    info->set_vocab_size(model.config().vocab_size);
    info->set_weight_type(engine::GgmlTypeName(static_cast<uint32_t>(model.weight_type())));
    info->set_device(loaded->config.device().empty() ? "cpu" : loaded->config.device());
    info->set_chat_template(std::string(loaded->chat_template.name()));
    info->set_chat_template_source(loaded->chat_template_source);
    info->set_tokenizer(model.tokenizer().Describe());
  }
  return FinishUnary(context, grpc::Status::OK);
}

}  // namespace cascade::inference
