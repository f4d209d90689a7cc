package members

import (
	"errors"
	"net/http"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"github.com/canyu/canyu/ui"
)

// problems shows the module's domain errors to members.
var problems = ui.Problems{
	{Err: ErrPhoneInvalid, Status: http.StatusBadRequest, Key: "members.err_phone_invalid"},
	{Err: ErrPhoneTaken, Status: http.StatusConflict, Key: "members.err_phone_taken"},
	{Err: ErrPhoneSame, Status: http.StatusConflict, Key: "members.err_phone_same"},
	{Err: ErrTooManyCodes, Status: http.StatusTooManyRequests, Key: "members.err_phone_too_many_codes"},
	{Err: ErrResendTooSoon, Status: http.StatusTooManyRequests, Key: "members.err_phone_resend_soon"},
	{Err: ErrNoCode, Status: http.StatusBadRequest, Key: "members.err_phone_no_code"},
	{Err: ErrCodeExpired, Status: http.StatusBadRequest, Key: "members.err_phone_expired"},
	{Err: ErrCodeWrong, Status: http.StatusBadRequest, Key: "members.err_phone_wrong"},
	{Err: ErrTooManyAttempts, Status: http.StatusTooManyRequests, Key: "members.err_phone_too_many_attempts"},
	{Err: ErrSMSFailed, Status: http.StatusBadGateway, Key: "members.err_phone_sms"},
	{Err: ErrBindingRefused, Status: http.StatusForbidden, Key: "members.err_phone_refused"},
}

// Problems lists how the members module's errors are shown.
func (m *Module) Problems() ui.Problems { return problems }

// fieldErrors turns PocketBase's record validation errors into message keys
// per field; ok is false when err is not a validation error.
func fieldErrors(err error) (ui.FieldErrors, bool) {
	var verrs validation.Errors
	if !errors.As(err, &verrs) {
		return nil, false
	}
	out := ui.FieldErrors{}
	for field, fe := range verrs {
		code := ""
		var ve validation.Error
		if errors.As(fe, &ve) {
			code = ve.Code()
		}
		switch code {
		case "validation_required":
			out[field] = "members.err_required"
		case "validation_not_unique":
			out[field] = "members.err_not_unique_" + field
		case "validation_min_text_constraint", "validation_length_too_short":
			out[field] = "members.err_too_short_" + field
		case "validation_max_text_constraint", "validation_length_too_long", "validation_length_out_of_range":
			out[field] = "members.err_too_long"
		case "validation_invalid_email", "validation_is_email":
			out[field] = "members.err_invalid_email"
		case "validation_invalid_mime_type":
			out[field] = "members.err_bad_file_type"
		case "validation_file_size_limit":
			out[field] = "members.err_file_too_big"
		default:
			out[field] = "members.err_invalid"
		}
	}
	return out, true
}
