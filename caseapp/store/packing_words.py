"""The preset dictionary of packed JSON (caseapp.store.packing, version 1): the field names
and coded values the change log repeats in every row, so each row compresses
on its own (a row is read alone, so no shared history can carry them).

Taken once from the field names and coded values (no names, no free text) of the synthetic
demo caseload. Frozen: stored rows need it to be read. A better dictionary is a new version
byte in packing, with this one kept beside it.
"""

WORDS_V1 = (
    b'"hfz_Province":,"hfz_Notes":,"Rukhsana","Gul","refugee_protection","Zainab","Parveen",'
    b'"Ayesha","Nazifa","Bilal","Mariam","emigrant_welfare","Bushra","Samina","Rizwan",'
    b'"Faisal","Shazia","Sadia","Kiran","Shabnam","Fatima","Nasreen","Tariq","Ahmed",'
    b'"Farzana","Waseem","Ali","Yasir","Muhammad","Asif","Sajid","Shahid","Naveed","Khatoon",'
    b'"org_Type":,"Imran","Kashif","child_protection","Bibi","Zahid","hfz_Evidence":,'
    b'"org_Name":,"hfz_Key":,"Nasima","return_reintegration","UNHCR","Shirin","Khatun",'
    b'"Begum","Akter","labour","SocialCare","shelter","Habibullah","Rahima","Zabihullah",'
    b'"Noorullah","Closed","closed","Hotak","Ahmadzai","Tajik","Sultani","follow_up_contact",'
    b'"Hazara","Akhtar","Butt","Qureshi","Malik","Hussain","Chaudhry","Bhatti","CN","Beijing",'
    b'"Faisalabad","RestrictsFinancialAccess","ForcedMarriage","Islamabad","Torkham",'
    b'"Jalalabad","ForcedBegging","assistance_plan","mother","Sheikhupura","Kasur","Tehran",'
    b'"ThroughOnlineSocialNetworks","PhysicalThreats","Muzaffargarh","WithholdsNecessities",'
    b'"Servitude","TR","Van","Gujranwala","identification","reintegration","IN","Kolkata",'
    b'"Dhaka","ThroughAnOnlineAdvertisement","PsychologicalAbuse","SexualExploitation","AE",'
    b'"Dubai","Sialkot","ExcessiveWorkingHours","Karachi","baseline","Nowshera","FollowUp",'
    b'"follow_up","Legal","routine","outgoing","TakesEarnings","PhysicalAbuse","Zahedan",'
    b'"intake","PossibleVictimOfTrafficking","NGO","Lahore","Peshawar","BD","screening",'
    b'"ThroughFriendsOrSocialEvents","ben","anonymised_research","prs","IR","Taftan","SOM",'
    b'"Quetta","FalsePromises","DebtBondage","referral","supersedes":,"sent",'
    b'"AdditionalServicesRequired","assistance_processing","interview",'
    b'"cas_ReasonForCaseClosure":,"ThroughFamilyOrFamilyEvents","hfz_Purpose":,"hfz_DueDate":,'
    b'"pus","AF","Feminine","ForcedLabour","WithholdsDocuments","draft","Masculine","pnb",'
    b'"urd","assessed_at":,"assessed_by":,"scores":,"survey_version":,"survey_id":,"round":,'
    b'"Exploitation","TIP","Active","Recruitment","by":,"to":,"from":,"referral_id":,'
    b'"hfz_Urgency":,"hfz_OrganisationName":,"hfz_Direction":,"hfz_Services":,"notes":,'
    b'"Transit","hfz_StartDate":,"spl_Objectives":,"spl_Type":,"submitted_at":,'
    b'"submitted_by":,"result":,"instrument_version":,"instrument_id":,"answers":,'
    b'"hfz_TraffickingStatusDecision":,"vic_TraffickingStatusDecisionMakingOrg":,'
    b'"vic_TraffickingStatus":,"cas_ReasonForOutgoingReferral":,"cas_ReferredOrganisation":,'
    b'"hfz_Status":,"PK","cas_OutgoingReferralDate":,"interpreter":,"hfz_FatherNameUrdu":,'
    b'"hfz_FatherName":,"guardian_relationship":,"guardian_name":,"best_interests_reason":,'
    b'"best_interests_by":,"providers":,"assent":,"vic_MethodOfRecruitment":,'
    b'"vic_MethodsOfControl":,"vic_TypeOfExploitation":,"hfz_IdentityDocuments":,'
    b'"hfz_CaseNumber":,"cas_CaseOwner":,"hfz_PlaceOfIdentification":,"hfz_Tracks":,'
    b'"prs_Birthdate":,"prs_PrimaryLanguage":,"prs_Citizenship":,"prs_Gender":,'
    b'"hfz_NameUrdu":,"prs_SecondName":,"prs_FirstName":,"cas_Status":,"hfz_Stage":,"child":,'
    b'"explanation_version":,"language":,"staff_user_id":,"granted":,"purpose":,"at":,'
    b'"hte_Country":,"hte_City":,"hte_Type":'
)
