from . import test_bill_queue
from . import test_bill_job_concurrency
from . import test_i18n
from . import test_bill_job_companies
from . import test_bill_job_ends
from . import test_send_jobs
